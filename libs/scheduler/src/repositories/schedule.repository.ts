import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { Schedule, ScheduleInput, ScheduleTarget, ScheduleTiming } from '../domain/schedule.types.js';

const COLUMNS = `id, name, target, input, spec, timezone, start_at, end_at, jitter_seconds, overlap,
  catchup_window_seconds, pause_on_failure, dst, note, paused, pause_note, next_fire_at, next_due_at,
  created_by, created_at, updated_at`;

interface ScheduleRow {
  id: string;
  name: string;
  target: ScheduleTarget;
  input: unknown;
  spec: ScheduleTiming;
  timezone: string;
  start_at: Date | null;
  end_at: Date | null;
  jitter_seconds: number;
  overlap: Schedule['overlap'];
  catchup_window_seconds: number;
  pause_on_failure: boolean;
  dst: Schedule['dst'];
  note: string | null;
  paused: boolean;
  pause_note: string | null;
  next_fire_at: Date | null;
  next_due_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

function toSchedule(row: ScheduleRow): Schedule {
  const date = (value: Date | string | null) => (value === null ? null : new Date(value));
  return {
    id: row.id,
    name: row.name,
    target: row.target,
    input: row.input,
    timing: row.spec,
    timezone: row.timezone,
    startAt: date(row.start_at),
    endAt: date(row.end_at),
    jitterSeconds: row.jitter_seconds,
    overlap: row.overlap,
    catchupWindowSeconds: row.catchup_window_seconds,
    pauseOnFailure: row.pause_on_failure,
    dst: row.dst,
    note: row.note,
    paused: row.paused,
    pauseNote: row.pause_note,
    nextFireAt: date(row.next_fire_at),
    nextDueAt: date(row.next_due_at),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export interface NextFire {
  fireAt: Date | null;
  dueAt: Date | null;
}

@Injectable()
export class ScheduleRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Null when the name is taken. */
  async insert(input: ScheduleInput, next: NextFire, createdBy: string | null, q: Queryable = this.db): Promise<Schedule | null> {
    const { rows } = await q.query<ScheduleRow>(
      `insert into schedules (name, target, input, spec, timezone, start_at, end_at, jitter_seconds, overlap,
         catchup_window_seconds, pause_on_failure, dst, note, next_fire_at, next_due_at, created_by)
       values ($1::text, $2::jsonb, $3::jsonb, $4::jsonb, $5::text, $6::timestamptz, $7::timestamptz, $8::int, $9::text,
         $10::int, $11::boolean, $12::text, $13::text, $14::timestamptz, $15::timestamptz, $16::text)
       on conflict on constraint schedules_name_key do nothing
       returning ${COLUMNS}`,
      [...inputParams(input), next.fireAt, next.dueAt, createdBy],
    );
    return rows[0] ? toSchedule(rows[0]) : null;
  }

  /** Replaces the settings and the next fire; null if gone or the new name is taken. */
  async update(id: string, input: ScheduleInput, next: NextFire, q: Queryable = this.db): Promise<Schedule | null> {
    const { rows } = await q.query<ScheduleRow>(
      `update schedules set name = $2::text, target = $3::jsonb, input = $4::jsonb, spec = $5::jsonb, timezone = $6::text,
         start_at = $7::timestamptz, end_at = $8::timestamptz, jitter_seconds = $9::int, overlap = $10::text,
         catchup_window_seconds = $11::int, pause_on_failure = $12::boolean, dst = $13::text, note = $14::text,
         next_fire_at = $15::timestamptz, next_due_at = $16::timestamptz, updated_at = now()
       where id = $1::uuid
         and not exists (select 1 from schedules other where other.name = $2::text and other.id <> $1::uuid)
       returning ${COLUMNS}`,
      [id, ...inputParams(input), next.fireAt, next.dueAt],
    );
    return rows[0] ? toSchedule(rows[0]) : null;
  }

  async findById(id: string, q: Queryable = this.db): Promise<Schedule | null> {
    const { rows } = await q.query<ScheduleRow>(`select ${COLUMNS} from schedules where id = $1::uuid`, [id]);
    return rows[0] ? toSchedule(rows[0]) : null;
  }

  async findByName(name: string, q: Queryable = this.db): Promise<Schedule | null> {
    const { rows } = await q.query<ScheduleRow>(`select ${COLUMNS} from schedules where name = $1::text`, [name]);
    return rows[0] ? toSchedule(rows[0]) : null;
  }

  /** The schedule row locked for a change (pause, skip-next, a fire), waiting for other lockers. */
  async lock(id: string, q: Queryable): Promise<Schedule | null> {
    const { rows } = await q.query<ScheduleRow>(`select ${COLUMNS} from schedules where id = $1::uuid for update`, [id]);
    return rows[0] ? toSchedule(rows[0]) : null;
  }

  async list(limit: number): Promise<Schedule[]> {
    const { rows } = await this.db.query<ScheduleRow>(`select ${COLUMNS} from schedules order by name limit $1::int`, [limit]);
    return rows.map(toSchedule);
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`delete from schedules where id = $1::uuid`, [id]);
    return rowCount > 0;
  }

  /**
   * Due schedules, locked. `skip locked`: another instance holding one is firing it right
   * now, so this one moves on to the next instead of waiting (and never fires it twice).
   */
  async lockDue(now: Date, limit: number, q: Queryable): Promise<Schedule[]> {
    const { rows } = await q.query<ScheduleRow>(
      `select ${COLUMNS} from schedules
       where not paused and next_due_at is not null and next_due_at <= $1::timestamptz
       order by next_due_at limit $2::int
       for update skip locked`,
      [now, limit],
    );
    return rows.map(toSchedule);
  }

  async setNext(id: string, next: NextFire, q: Queryable): Promise<void> {
    await q.query(`update schedules set next_fire_at = $2::timestamptz, next_due_at = $3::timestamptz where id = $1::uuid`, [id, next.fireAt, next.dueAt]);
  }

  async setPaused(id: string, paused: boolean, note: string | null, next: NextFire | null, q: Queryable): Promise<void> {
    await q.query(
      `update schedules set paused = $2::boolean, pause_note = $3::text, updated_at = now(),
         next_fire_at = case when $4::boolean then $5::timestamptz else next_fire_at end,
         next_due_at = case when $4::boolean then $6::timestamptz else next_due_at end
       where id = $1::uuid`,
      [id, paused, note, next !== null, next?.fireAt ?? null, next?.dueAt ?? null],
    );
  }

  /** The earliest due time of an unpaused schedule: when this instance's timer should wake. */
  async earliestDue(): Promise<Date | null> {
    const { rows } = await this.db.query<{ due: Date | null }>(
      `select min(next_due_at) as due from schedules where not paused and next_due_at is not null`,
    );
    return rows[0]?.due ? new Date(rows[0].due) : null;
  }
}

function inputParams(input: ScheduleInput): unknown[] {
  return [
    input.name,
    JSON.stringify(input.target),
    JSON.stringify(input.input ?? {}),
    JSON.stringify(input.timing),
    input.timezone,
    input.startAt,
    input.endAt,
    input.jitterSeconds,
    input.overlap,
    input.catchupWindowSeconds,
    input.pauseOnFailure,
    input.dst,
    input.note,
  ];
}
