import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';

export interface EventWait {
  id: string;
  runId: string;
  stepKey: string;
  event: string;
  match: Record<string, unknown>;
  since: Date;
  status: 'waiting' | 'matched' | 'timed_out';
  eventId: string | null;
  expiresAt: Date | null;
  matchedAt: Date | null;
}

interface EventWaitRow {
  id: string;
  run_id: string;
  step_key: string;
  event_name: string;
  match: Record<string, unknown>;
  since: Date;
  status: EventWait['status'];
  event_id: string | null;
  expires_at: Date | null;
  matched_at: Date | null;
}

const COLUMNS = 'id, run_id, step_key, event_name, match, since, status, event_id, expires_at, matched_at';

function toWait(row: EventWaitRow): EventWait {
  return {
    id: row.id,
    runId: row.run_id,
    stepKey: row.step_key,
    event: row.event_name,
    match: row.match,
    since: row.since,
    status: row.status,
    eventId: row.event_id,
    expiresAt: row.expires_at,
    matchedAt: row.matched_at,
  };
}

/** Waits for events and the matching between them and stored events. */
@Injectable()
export class EventWaitRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Serializes waits against events of one name until commit. Both sides take it before they
   * look at the other's table, so the second to commit always sees the first. Events take it
   * shared: they do not need to wait for each other (two events racing for one wait are
   * settled by the wait row's own lock in `matchOpenWaits`), only for a wait being registered.
   */
  async lockName(name: string, tx: Queryable, mode: 'wait' | 'event'): Promise<void> {
    const lock = mode === 'wait' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
    await tx.query(`select ${lock}(hashtext('baton.event:' || $1::text))`, [name]);
  }

  /** The first stored event of `name` since `since` whose data contains `match`. */
  async firstStoredMatch(name: string, match: Record<string, unknown>, since: Date, tx: Queryable): Promise<string | undefined> {
    const { rows } = await tx.query<{ id: string }>(
      `select id from external_events
        where name = $1::text and created_at >= $3::timestamptz and ($2::jsonb = '{}'::jsonb or data @> $2::jsonb)
        order by position limit 1`,
      [name, JSON.stringify(match), since],
    );
    return rows[0]?.id;
  }

  /**
   * Registers the wait (matched already when `eventId` is given); a second call returns the
   * first, as it is now (the conflict update reads the latest committed row). With `reopen`,
   * a timed-out wait is registered afresh (a new attempt of the step).
   */
  async insert(
    wait: { runId: string; stepKey: string; event: string; match: Record<string, unknown>; since: Date; timeoutSeconds: number | null; eventId: string | null },
    reopen: boolean,
    tx: Queryable,
  ): Promise<EventWait> {
    const { rows } = await tx.query<EventWaitRow>(
      `insert into event_waits (run_id, step_key, event_name, match, since, expires_at, status, event_id, matched_at)
       values ($1::uuid, $2::text, $3::text, $4::jsonb, $5::timestamptz,
               case when $6::integer is null then null else now() + make_interval(secs => $6::integer) end,
               case when $7::uuid is null then 'waiting' else 'matched' end, $7::uuid,
               case when $7::uuid is null then null else now() end)
       on conflict (run_id, step_key) do update
          set status = case when $8::boolean and event_waits.status = 'timed_out' then excluded.status else event_waits.status end,
              event_id = case when $8::boolean and event_waits.status = 'timed_out' then excluded.event_id else event_waits.event_id end,
              matched_at = case when $8::boolean and event_waits.status = 'timed_out' then excluded.matched_at else event_waits.matched_at end,
              expires_at = case when $8::boolean and event_waits.status = 'timed_out' then excluded.expires_at else event_waits.expires_at end
       returning ${COLUMNS}`,
      [wait.runId, wait.stepKey, wait.event, JSON.stringify(wait.match), wait.since, wait.timeoutSeconds, wait.eventId, reopen],
    );
    return toWait(rows[0]!);
  }

  /** The waits each of `eventIds` satisfied, by event id. */
  async byEvents(eventIds: string[], tx: Queryable = this.db): Promise<Map<string, Array<{ runId: string; stepKey: string }>>> {
    const result = new Map<string, Array<{ runId: string; stepKey: string }>>();
    if (eventIds.length === 0) return result;
    const { rows } = await tx.query<{ event_id: string; run_id: string; step_key: string }>(
      `select event_id, run_id, step_key from event_waits where event_id = any($1::uuid[]) and status = 'matched' order by matched_at`,
      [eventIds],
    );
    for (const row of rows) result.set(row.event_id, [...(result.get(row.event_id) ?? []), { runId: row.run_id, stepKey: row.step_key }]);
    return result;
  }

  /** Closes every open wait this event satisfies; returns them. */
  async matchOpenWaits(event: { id: string; name: string; data: unknown; createdAt: Date }, tx: Queryable): Promise<EventWait[]> {
    const { rows } = await tx.query<EventWaitRow>(
      `update event_waits set status = 'matched', event_id = $1::uuid, matched_at = now()
        where status = 'waiting' and event_name = $2::text and since <= $4::timestamptz
          and (match = '{}'::jsonb or $3::jsonb @> match)
        returning ${COLUMNS}`,
      [event.id, event.name, JSON.stringify(event.data), event.createdAt],
    );
    return rows.map(toWait);
  }

  async find(runId: string, stepKey: string, tx: Queryable = this.db): Promise<EventWait | undefined> {
    const { rows } = await tx.query<EventWaitRow>(`select ${COLUMNS} from event_waits where run_id = $1::uuid and step_key = $2::text`, [runId, stepKey]);
    return rows[0] ? toWait(rows[0]) : undefined;
  }

  /** Open waits past their timeout become `timed_out`. */
  async expire(tx: Queryable = this.db): Promise<EventWait[]> {
    const { rows } = await tx.query<EventWaitRow>(
      `update event_waits set status = 'timed_out'
        where status = 'waiting' and expires_at is not null and expires_at <= now()
        returning ${COLUMNS}`,
    );
    return rows.map(toWait);
  }
}
