import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { StepError } from '../domain/run.types.js';
import { STEP_MOVES } from '../domain/step-status.js';
import { json } from './run.mapper.js';

/** Steps parked because no agent could take them (open circuit breakers). */
@Injectable()
export class AgentWaitRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * waiting (breaker_open) → queued. Every parked step is woken, not only those of the agent
   * that half-opened: the next claim parks again those whose agents are still open, which is
   * cheaper than teaching SQL which capability each agent serves.
   */
  async wakeAll(tx: Queryable): Promise<Array<{ runId: string; key: string }>> {
    const { rows } = await tx.query<{ run_id: string; step_key: string }>(
      `update orchestration_steps
          set status = 'queued', wait_reason = null, available_at = now(), queued_at = now(), updated_at = now()
        where status = any($1::text[]) and wait_reason = 'breaker_open'
        returning run_id, step_key`,
      [STEP_MOVES.wake.from],
    );
    return rows.map((row) => ({ runId: row.run_id, key: row.step_key }));
  }

  /**
   * running → waiting (breaker_open) for a pattern step whose next turn's agent has an open
   * breaker: its lease is given back, and `wake_reason` makes the claim after the wake-up
   * continue the same attempt (no call was made). Fenced by the lease token.
   */
  async parkRunning(id: string, token: number, tx: Queryable): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update orchestration_steps
          set status = 'waiting', wait_reason = 'breaker_open', wake_reason = 'breaker_turn',
              agent_wait_since = coalesce(agent_wait_since, now()),
              lease_owner = null, lease_expires_at = null, updated_at = now()
        where id = $1::uuid and lease_token = $2::bigint and status = any($3::text[])`,
      [id, token, STEP_MOVES.park.from],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Parked steps that have waited longer than `seconds` for an agent → failed. */
  async failExpired(seconds: number, error: StepError, tx: Queryable): Promise<Array<{ runId: string; key: string }>> {
    const { rows } = await tx.query<{ run_id: string; step_key: string }>(
      `update orchestration_steps
          set status = 'failed', error = $3::jsonb, wait_reason = null, finished_at = now(), updated_at = now()
        where id in (select id from orchestration_steps
                      where status = any($1::text[]) and wait_reason = 'breaker_open'
                        and agent_wait_since < now() - ($2::int * interval '1 second')
                      for update skip locked)
        returning run_id, step_key`,
      [STEP_MOVES.fail.from, seconds, json(error)],
    );
    return rows.map((row) => ({ runId: row.run_id, key: row.step_key }));
  }

  /** How many steps wait for an agent now. */
  async countParked(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `select count(*)::int as n from orchestration_steps where status = 'waiting' and wait_reason = 'breaker_open'`,
    );
    return rows[0]?.n ?? 0;
  }
}
