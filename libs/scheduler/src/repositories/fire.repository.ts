import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { FireKind, FireStatus, ScheduleFire } from '../domain/schedule.types.js';

const COLUMNS = `id, schedule_id, fire_key, fire_time, kind, status, reason, cancel_active, run_id, run_status, created_at, started_at`;
/** A started fire whose run has not been seen to finish. */
const RUNNING = `status = 'started' and (run_status is null or run_status not in ('completed', 'failed', 'cancelled'))`;

interface FireRow {
  id: string;
  schedule_id: string;
  fire_key: string;
  fire_time: Date;
  kind: FireKind;
  status: FireStatus;
  reason: string | null;
  cancel_active: boolean;
  run_id: string | null;
  run_status: string | null;
  created_at: Date;
  started_at: Date | null;
}

function toFire(row: FireRow): ScheduleFire {
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    fireKey: row.fire_key,
    fireTime: new Date(row.fire_time),
    kind: row.kind,
    status: row.status,
    reason: row.reason,
    cancelActive: row.cancel_active,
    runId: row.run_id,
    runStatus: row.run_status,
    createdAt: new Date(row.created_at),
    startedAt: row.started_at ? new Date(row.started_at) : null,
  };
}

export interface NewFire {
  scheduleId: string;
  fireKey: string;
  fireTime: Date;
  kind: FireKind;
  status: FireStatus;
  reason?: string | null;
  cancelActive?: boolean;
}

@Injectable()
export class FireRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Records a fire; null when this (schedule, fire_key) was already recorded: the fire happened. */
  async insert(fire: NewFire, q: Queryable = this.db): Promise<ScheduleFire | null> {
    const { rows } = await q.query<FireRow>(
      `insert into schedule_fires (schedule_id, fire_key, fire_time, kind, status, reason, cancel_active)
       values ($1::uuid, $2::text, $3::timestamptz, $4::text, $5::text, $6::text, $7::boolean)
       on conflict on constraint schedule_fires_key do nothing
       returning ${COLUMNS}`,
      [fire.scheduleId, fire.fireKey, fire.fireTime, fire.kind, fire.status, fire.reason ?? null, fire.cancelActive ?? false],
    );
    return rows[0] ? toFire(rows[0]) : null;
  }

  /** Open fires of a schedule: pending or running (active), and buffered. */
  async openCounts(scheduleId: string, q: Queryable = this.db): Promise<{ active: number; buffered: number }> {
    const { rows } = await q.query<{ active: number; buffered: number }>(
      `select count(*) filter (where status = 'pending' or (${RUNNING}))::int as active,
              count(*) filter (where status = 'buffered')::int as buffered
       from schedule_fires where schedule_id = $1::uuid and (status in ('pending', 'buffered') or (${RUNNING}))`,
      [scheduleId],
    );
    return rows[0] ?? { active: 0, buffered: 0 };
  }

  /** cancel_other: pending fires a newer one replaces are skipped before they start. */
  async supersedePending(scheduleId: string, q: Queryable): Promise<void> {
    await q.query(
      `update schedule_fires set status = 'skipped', reason = 'superseded by a later fire (cancel_other)'
       where schedule_id = $1::uuid and status in ('pending', 'buffered')`,
      [scheduleId],
    );
  }

  /** Pending fires to start, locked so two instances do not both start one (the run's idempotency key backs this up). */
  async lockPending(limit: number, q: Queryable): Promise<ScheduleFire[]> {
    const { rows } = await q.query<FireRow>(
      `select ${COLUMNS} from schedule_fires where status = 'pending' order by fire_time, created_at limit $1::int for update skip locked`,
      [limit],
    );
    return rows.map(toFire);
  }

  async markStarted(id: string, runId: string, runStatus: string, q: Queryable = this.db): Promise<void> {
    await q.query(
      `update schedule_fires set status = 'started', run_id = $2::uuid, run_status = $3::text, started_at = now()
       where id = $1::uuid and status = 'pending'`,
      [id, runId, runStatus],
    );
  }

  async markFailed(id: string, reason: string, q: Queryable = this.db): Promise<void> {
    await q.query(`update schedule_fires set status = 'failed', reason = $2::text where id = $1::uuid and status = 'pending'`, [id, reason]);
  }

  /** Started fires whose run may still be going, oldest first. */
  async running(limit: number, scheduleId?: string): Promise<ScheduleFire[]> {
    const { rows } = await this.db.query<FireRow>(
      `select ${COLUMNS} from schedule_fires where ${RUNNING} and ($2::uuid is null or schedule_id = $2::uuid)
       order by created_at limit $1::int`,
      [limit, scheduleId ?? null],
    );
    return rows.map(toFire);
  }

  /** Records the run's status; true when this call moved it (only one instance reacts to a finish). */
  async setRunStatus(id: string, runStatus: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `update schedule_fires set run_status = $2::text where id = $1::uuid and run_status is distinct from $2::text`,
      [id, runStatus],
    );
    return rowCount > 0;
  }

  /** Promotes the oldest buffered fire of each schedule with nothing active; returns how many. */
  async promoteBuffered(limit: number, q: Queryable = this.db): Promise<number> {
    const { rowCount } = await q.query(
      `update schedule_fires f set status = 'pending'
       where f.id in (
         select distinct on (b.schedule_id) b.id from schedule_fires b
         where b.status = 'buffered'
           and not exists (select 1 from schedule_fires a where a.schedule_id = b.schedule_id
                           and (a.status = 'pending' or (a.status = 'started' and (a.run_status is null or a.run_status not in ('completed', 'failed', 'cancelled')))))
         order by b.schedule_id, b.fire_time, b.created_at
         limit $1::int)
       and f.status = 'buffered'`,
      [limit],
    );
    return rowCount;
  }

  async history(scheduleId: string, limit: number): Promise<ScheduleFire[]> {
    const { rows } = await this.db.query<FireRow>(
      `select ${COLUMNS} from schedule_fires where schedule_id = $1::uuid order by fire_time desc, created_at desc limit $2::int`,
      [scheduleId, limit],
    );
    return rows.map(toFire);
  }

  /** Deletes closed fires older than `before`, at most `limit` per call. */
  async prune(before: Date, limit: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `delete from schedule_fires where id in (
         select id from schedule_fires where created_at < $1::timestamptz and not (status in ('pending', 'buffered') or (${RUNNING}))
         limit $2::int)`,
      [before, limit],
    );
    return rowCount;
  }
}
