import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { BreakerStateName, NewAgentEvent } from '@baton/events';
import { closedBreaker, type BreakerRecord } from './breaker-state.js';

interface BreakerRow {
  agent: string;
  state: BreakerStateName;
  consecutive_failures: number;
  opened_at: Date | null;
  half_open_at: Date | null;
  last_failure: BreakerRecord['lastFailure'];
  last_failure_at: Date | null;
}

const COLUMNS = 'agent, state, consecutive_failures, opened_at, half_open_at, last_failure, last_failure_at';

/** One stored agent event, as the API shows it. */
export interface AgentEventRecord {
  id: number;
  agent: string;
  type: string;
  data: Record<string, unknown>;
  instanceId: string | null;
  createdAt: Date;
}

/** `agent_breakers` (one row per agent that ever failed) and `agent_events` (their log). */
@Injectable()
export class AgentBreakerRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** The agent's row, locked for the transaction (created closed if missing). */
  async lock(agent: string, tx: Queryable): Promise<BreakerRecord> {
    await tx.query(`insert into agent_breakers (agent) values ($1::text) on conflict (agent) do nothing`, [agent]);
    const { rows } = await tx.query<BreakerRow>(`select ${COLUMNS} from agent_breakers where agent = $1::text for update`, [agent]);
    return rows[0] ? toRecord(rows[0]) : closedBreaker(agent);
  }

  async save(record: BreakerRecord, tx: Queryable): Promise<void> {
    await tx.query(
      `update agent_breakers
          set state = $2::text, consecutive_failures = $3::int, opened_at = $4::timestamptz, half_open_at = $5::timestamptz,
              last_failure = $6::jsonb, last_failure_at = $7::timestamptz, updated_at = now()
        where agent = $1::text`,
      [
        record.agent, record.state, record.consecutiveFailures, record.openedAt, record.halfOpenAt,
        record.lastFailure ? JSON.stringify(record.lastFailure) : null, record.lastFailureAt,
      ],
    );
  }

  /**
   * A successful call: a half-open breaker closes, a closed one forgets its failures. One
   * statement, and no write at all for a healthy agent (the common case on every call).
   * Returns the state left when the breaker closed from half-open, else null.
   */
  async recordSuccess(agent: string, instanceId: string): Promise<BreakerStateName | null> {
    const { rows } = await this.db.query<{ from_state: BreakerStateName }>(
      `with prev as (
         select agent, state from agent_breakers
          where agent = $1::text and (state = 'half_open' or (state = 'closed' and consecutive_failures > 0))
          for update
       ), moved as (
         update agent_breakers b set state = 'closed', consecutive_failures = 0, opened_at = null, half_open_at = null,
                updated_at = now()
           from prev where b.agent = prev.agent
         returning prev.state as from_state
       ), logged as (
         insert into agent_events (agent, type, data, instance_id)
         select $1::text, 'agent.breaker_closed',
                jsonb_build_object('from', from_state, 'to', 'closed', 'reason', 'probe_succeeded'), $2::text
           from moved where from_state = 'half_open'
         returning id
       )
       select from_state from moved`,
      [agent, instanceId],
    );
    return rows[0]?.from_state === 'half_open' ? 'half_open' : null;
  }

  /** Open breakers whose wait is over → half-open, with their events. Returns the agents moved. */
  async promoteDue(instanceId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ agent: string }>(
      `with moved as (
         update agent_breakers set state = 'half_open', updated_at = now()
          where agent in (select agent from agent_breakers where state = 'open' and half_open_at <= now() for update skip locked)
         returning agent
       ), logged as (
         insert into agent_events (agent, type, data, instance_id)
         select agent, 'agent.breaker_half_opened', '{"from":"open","to":"half_open"}'::jsonb, $1::text from moved
         returning id
       )
       select agent from moved`,
      [instanceId],
    );
    return rows.map((row) => row.agent);
  }

  async appendEvents(events: NewAgentEvent[], instanceId: string, tx: Queryable): Promise<void> {
    if (events.length === 0) return;
    await tx.query(
      `insert into agent_events (agent, type, data, instance_id)
       select e.agent, e.type, e.data, $2::text from jsonb_to_recordset($1::jsonb) as e(agent text, type text, data jsonb)`,
      [JSON.stringify(events), instanceId],
    );
  }

  async findMany(agents: string[]): Promise<Map<string, BreakerRecord>> {
    if (agents.length === 0) return new Map();
    const { rows } = await this.db.query<BreakerRow>(`select ${COLUMNS} from agent_breakers where agent = any($1::text[])`, [agents]);
    return new Map(rows.map((row) => [row.agent, toRecord(row)]));
  }

  async listAll(): Promise<BreakerRecord[]> {
    const { rows } = await this.db.query<BreakerRow>(`select ${COLUMNS} from agent_breakers order by agent`);
    return rows.map(toRecord);
  }

  /** The agent's latest events, newest first. */
  async recentEvents(agent: string, limit: number): Promise<AgentEventRecord[]> {
    const { rows } = await this.db.query<{ id: string; agent: string; type: string; data: Record<string, unknown>; instance_id: string | null; created_at: Date }>(
      `select id, agent, type, data, instance_id, created_at from agent_events
        where agent = $1::text order by created_at desc, id desc limit $2::int`,
      [agent, limit],
    );
    return rows.map((row) => ({ id: Number(row.id), agent: row.agent, type: row.type, data: row.data, instanceId: row.instance_id, createdAt: new Date(row.created_at) }));
  }
}

function toRecord(row: BreakerRow): BreakerRecord {
  return {
    agent: row.agent,
    state: row.state,
    consecutiveFailures: row.consecutive_failures,
    openedAt: row.opened_at ? new Date(row.opened_at) : null,
    halfOpenAt: row.half_open_at ? new Date(row.half_open_at) : null,
    lastFailure: row.last_failure,
    lastFailureAt: row.last_failure_at ? new Date(row.last_failure_at) : null,
  };
}
