import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { StoredSystemState, SystemEvent, SystemMode } from './system-mode.js';

interface StateRow {
  mode: SystemMode;
  reason: string | null;
  set_by: string | null;
  changed_at: Date;
  last_heartbeat_at: Date | null;
  heartbeat_by: string | null;
}

interface EventRow {
  id: string;
  type: string;
  data: Record<string, unknown>;
  instance_id: string | null;
  created_at: Date;
}

const STATE_COLUMNS = 'mode, reason, set_by, changed_at, last_heartbeat_at, heartbeat_by';

/** The one row of `baton_system_state` and the append-only `baton_system_events`. */
@Injectable()
export class SystemStateRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async get(q: Queryable = this.db): Promise<StoredSystemState> {
    const { rows } = await q.query<StateRow>(`select ${STATE_COLUMNS} from baton_system_state where id`);
    return toState(rows[0]!);
  }

  /**
   * Sets the mode when it is one of `from` (all modes when null): a guarded transition, so
   * two instances deciding the same thing (the dead-man switch) change it once. Returns the
   * new state, or null when the guard did not hold.
   */
  async setMode(mode: SystemMode, reason: string, setBy: string, from: SystemMode[] | null, q: Queryable = this.db): Promise<StoredSystemState | null> {
    const { rows } = await q.query<StateRow>(
      `update baton_system_state set mode = $1::text, reason = $2::text, set_by = $3::text, changed_at = now()
        where id and ($4::text[] is null or mode = any($4::text[]))
        returning ${STATE_COLUMNS}`,
      [mode, reason, setBy, from],
    );
    return rows[0] ? toState(rows[0]) : null;
  }

  async recordHeartbeat(by: string, q: Queryable = this.db): Promise<StoredSystemState> {
    const { rows } = await q.query<StateRow>(
      `update baton_system_state set last_heartbeat_at = now(), heartbeat_by = $1::text where id returning ${STATE_COLUMNS}`,
      [by],
    );
    return toState(rows[0]!);
  }

  /** Starts the dead-man switch's clock the first time it is armed (no heartbeat yet). */
  async armHeartbeat(q: Queryable = this.db): Promise<void> {
    await q.query(`update baton_system_state set last_heartbeat_at = now(), heartbeat_by = 'armed' where id and last_heartbeat_at is null`);
  }

  async appendEvent(type: string, data: Record<string, unknown>, instanceId: string, q: Queryable = this.db): Promise<void> {
    await q.query(`insert into baton_system_events (type, data, instance_id) values ($1::text, $2::jsonb, $3::text)`, [
      type,
      JSON.stringify(data),
      instanceId,
    ]);
  }

  async recentEvents(limit: number, q: Queryable = this.db): Promise<SystemEvent[]> {
    const { rows } = await q.query<EventRow>(
      `select id::text as id, type, data, instance_id, created_at from baton_system_events order by created_at desc, id desc limit $1::int`,
      [limit],
    );
    return rows.map((row) => ({ id: row.id, type: row.type, data: row.data, instanceId: row.instance_id, createdAt: new Date(row.created_at) }));
  }

  /** Names of the migrations the database has applied. */
  async appliedMigrations(q: Queryable = this.db): Promise<string[]> {
    const { rows } = await q.query<{ name: string }>(`select name from baton_migrations order by name`);
    return rows.map((row) => row.name);
  }

  /** `on` when the session refuses writes (a hot standby, `default_transaction_read_only`). */
  async readOnly(q: Queryable = this.db): Promise<boolean> {
    const { rows } = await q.query<{ read_only: string }>(`select current_setting('transaction_read_only') as read_only`);
    return rows[0]?.read_only === 'on';
  }
}

function toState(row: StateRow): StoredSystemState {
  return {
    mode: row.mode,
    reason: row.reason,
    setBy: row.set_by,
    changedAt: new Date(row.changed_at),
    lastHeartbeatAt: row.last_heartbeat_at ? new Date(row.last_heartbeat_at) : null,
    heartbeatBy: row.heartbeat_by,
  };
}
