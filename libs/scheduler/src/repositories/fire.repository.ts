import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { TERMINAL_RUN_STATUSES } from '@baton/runs';
import { FIRE_MOVES, STARTED_FIRE_STATUSES, UNSTARTED_FIRE_STATUSES } from '../domain/fire-status.js';
import type { FireKind, FireStatus, ScheduleFire } from '../domain/schedule.types.js';

const COLUMNS = `id, schedule_id, fire_key, fire_time, kind, status, reason, cancel_active, run_id, run_status, created_at, started_at`;
/**
 * A started fire whose run has not been seen to finish, over the parameters `$started`
 * (`STARTED_FIRE_STATUSES`) and `$ended` (the runs' `TERMINAL_RUN_STATUSES`).
 */
const running = (started: number, ended: number, t = '') =>
  `${t}status = any($${started}::text[]) and (${t}run_status is null or not ${t}run_status = any($${ended}::text[]))`;

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

/** The `schedule_fires` table; every status change is a `FIRE_MOVES` move, guarded by its table-derived statuses. */
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
      `select count(*) filter (where status = any($2::text[]) or (${running(3, 4)}))::int as active,
              count(*) filter (where status = any($5::text[]))::int as buffered
       from schedule_fires where schedule_id = $1::uuid and (status = any($6::text[]) or (${running(3, 4)}))`,
      [scheduleId, FIRE_MOVES.start.from, STARTED_FIRE_STATUSES, TERMINAL_RUN_STATUSES, FIRE_MOVES.promote.from, UNSTARTED_FIRE_STATUSES],
    );
    return rows[0] ?? { active: 0, buffered: 0 };
  }

  /** cancel_other: pending fires a newer one replaces are skipped before they start. */
  async supersedePending(scheduleId: string, q: Queryable): Promise<void> {
    await q.query(
      `update schedule_fires set status = 'skipped', reason = 'superseded by a later fire (cancel_other)'
       where schedule_id = $1::uuid and status = any($2::text[])`,
      [scheduleId, FIRE_MOVES.supersede.from],
    );
  }

  /** Pending fires to start, locked so two instances do not both start one (the run's idempotency key backs this up). */
  async lockPending(limit: number, q: Queryable): Promise<ScheduleFire[]> {
    const { rows } = await q.query<FireRow>(
      `select ${COLUMNS} from schedule_fires where status = any($2::text[]) order by fire_time, created_at limit $1::int for update skip locked`,
      [limit, FIRE_MOVES.start.from],
    );
    return rows.map(toFire);
  }

  async markStarted(id: string, runId: string, runStatus: string, q: Queryable = this.db): Promise<void> {
    await q.query(
      `update schedule_fires set status = 'started', run_id = $2::uuid, run_status = $3::text, started_at = now()
       where id = $1::uuid and status = any($4::text[])`,
      [id, runId, runStatus, FIRE_MOVES.start.from],
    );
  }

  async markFailed(id: string, reason: string, q: Queryable = this.db): Promise<void> {
    await q.query(`update schedule_fires set status = 'failed', reason = $2::text where id = $1::uuid and status = any($3::text[])`, [
      id,
      reason,
      FIRE_MOVES.fail.from,
    ]);
  }

  /** Started fires whose run may still be going, oldest first. */
  async running(limit: number, scheduleId?: string): Promise<ScheduleFire[]> {
    const { rows } = await this.db.query<FireRow>(
      `select ${COLUMNS} from schedule_fires where ${running(3, 4)} and ($2::uuid is null or schedule_id = $2::uuid)
       order by created_at limit $1::int`,
      [limit, scheduleId ?? null, STARTED_FIRE_STATUSES, TERMINAL_RUN_STATUSES],
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
         where b.status = any($2::text[])
           and not exists (select 1 from schedule_fires a where a.schedule_id = b.schedule_id
                           and (a.status = any($3::text[]) or (${running(4, 5, 'a.')})))
         order by b.schedule_id, b.fire_time, b.created_at
         limit $1::int)
       and f.status = any($2::text[])`,
      [limit, FIRE_MOVES.promote.from, FIRE_MOVES.start.from, STARTED_FIRE_STATUSES, TERMINAL_RUN_STATUSES],
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
         select id from schedule_fires where created_at < $1::timestamptz and not (status = any($3::text[]) or (${running(4, 5)}))
         limit $2::int)`,
      [before, limit, UNSTARTED_FIRE_STATUSES, STARTED_FIRE_STATUSES, TERMINAL_RUN_STATUSES],
    );
    return rowCount;
  }
}
