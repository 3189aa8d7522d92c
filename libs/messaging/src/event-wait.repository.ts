import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { conditionHolds } from './event-condition.js';
import { EVENT_WAIT_MOVES } from './event-wait-status.js';

/** How many stored events a CEL wait looks through for an earlier match. */
const MAX_CANDIDATES = 1000;
type Condition = { source: string; context: Record<string, unknown> };

export interface EventWait {
  id: string;
  runId: string;
  stepKey: string;
  event: string;
  match: Record<string, unknown>;
  condition: string | null;
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
  condition: string | null;
  condition_context: Record<string, unknown> | null;
  since: Date;
  status: EventWait['status'];
  event_id: string | null;
  expires_at: Date | null;
  matched_at: Date | null;
}

const COLUMNS = 'id, run_id, step_key, event_name, match, condition, condition_context, since, status, event_id, expires_at, matched_at';

function toWait(row: EventWaitRow): EventWait {
  return {
    id: row.id,
    runId: row.run_id,
    stepKey: row.step_key,
    event: row.event_name,
    match: row.match,
    condition: row.condition,
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

  /**
   * The first stored event of `name` since `since` whose data contains `match` (and for which
   * `condition` holds: evaluated here, over the first MAX_CANDIDATES candidates).
   */
  async firstStoredMatch(name: string, match: Record<string, unknown>, since: Date, condition: Condition | null, tx: Queryable): Promise<string | undefined> {
    const { rows } = await tx.query<{ id: string; event_key: string; data: unknown; source: string }>(
      `select id, event_key, data, source from external_events
        where name = $1::text and created_at >= $3::timestamptz and ($2::jsonb = '{}'::jsonb or data @> $2::jsonb)
        order by position limit $4::integer`,
      [name, JSON.stringify(match), since, condition ? MAX_CANDIDATES : 1],
    );
    if (!condition) return rows[0]?.id;
    const hit = rows.find((row) => conditionHolds(condition.source, 'match', { id: row.event_key, name, data: row.data, source: row.source }, condition.context));
    return hit?.id;
  }

  /**
   * Registers the wait (matched already when `eventId` is given); a second call returns the
   * first, as it is now (the conflict update reads the latest committed row). With `reopen`,
   * a timed-out wait is registered afresh (a new attempt of the step).
   */
  async insert(
    wait: {
      runId: string;
      stepKey: string;
      event: string;
      match: Record<string, unknown>;
      condition: Condition | null;
      since: Date;
      timeoutSeconds: number | null;
      eventId: string | null;
    },
    reopen: boolean,
    tx: Queryable,
  ): Promise<EventWait> {
    const { rows } = await tx.query<EventWaitRow>(
      `insert into event_waits (run_id, step_key, event_name, match, since, expires_at, status, event_id, matched_at, condition, condition_context)
       values ($1::uuid, $2::text, $3::text, $4::jsonb, $5::timestamptz,
               case when $6::integer is null then null else now() + make_interval(secs => $6::integer) end,
               case when $7::uuid is null then 'waiting' else 'matched' end, $7::uuid,
               case when $7::uuid is null then null else now() end, $9::text, $10::jsonb)
       on conflict (run_id, step_key) do update
          set status = case when $8::boolean and event_waits.status = any($11::text[]) then excluded.status else event_waits.status end,
              event_id = case when $8::boolean and event_waits.status = any($11::text[]) then excluded.event_id else event_waits.event_id end,
              matched_at = case when $8::boolean and event_waits.status = any($11::text[]) then excluded.matched_at else event_waits.matched_at end,
              expires_at = case when $8::boolean and event_waits.status = any($11::text[]) then excluded.expires_at else event_waits.expires_at end
       returning ${COLUMNS}`,
      [
        wait.runId,
        wait.stepKey,
        wait.event,
        JSON.stringify(wait.match),
        wait.since,
        wait.timeoutSeconds,
        wait.eventId,
        reopen,
        wait.condition?.source ?? null,
        wait.condition ? JSON.stringify(wait.condition.context) : null,
        EVENT_WAIT_MOVES.reopen.from,
      ],
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

  /**
   * Closes every open wait this event satisfies; returns them. Waits with a CEL condition are
   * narrowed by SQL, locked, evaluated here and closed by id; the row locks settle two events
   * racing for one wait (the second finds it no longer waiting).
   */
  async matchOpenWaits(event: { id: string; key: string; name: string; data: unknown; source: string; createdAt: Date }, tx: Queryable): Promise<EventWait[]> {
    const params = [event.id, event.name, JSON.stringify(event.data), event.createdAt];
    const plain = await tx.query<EventWaitRow>(
      `update event_waits set status = 'matched', event_id = $1::uuid, matched_at = now()
        where status = any($5::text[]) and event_name = $2::text and since <= $4::timestamptz and condition is null
          and (match = '{}'::jsonb or $3::jsonb @> match)
        returning ${COLUMNS}`,
      [...params, EVENT_WAIT_MOVES.match.from],
    );
    const candidates = await tx.query<EventWaitRow>(
      `select ${COLUMNS} from event_waits
        where status = any($3::text[]) and event_name = $1::text and since <= $2::timestamptz and condition is not null
        for update`,
      [event.name, event.createdAt, EVENT_WAIT_MOVES.match.from],
    );
    const view = { id: event.key, name: event.name, data: event.data, source: event.source };
    const chosen = candidates.rows.filter((row) => conditionHolds(row.condition!, 'match', view, row.condition_context ?? {})).map((row) => row.id);
    if (chosen.length === 0) return plain.rows.map(toWait);
    const conditional = await tx.query<EventWaitRow>(
      `update event_waits set status = 'matched', event_id = $1::uuid, matched_at = now()
        where id = any($2::uuid[]) and status = any($3::text[])
        returning ${COLUMNS}`,
      [event.id, chosen, EVENT_WAIT_MOVES.match.from],
    );
    return [...plain.rows, ...conditional.rows].map(toWait);
  }

  /** A run's open waits, locked: a signal picks one and closes it (`matchOne`). */
  async openWaitsOfRun(runId: string, tx: Queryable): Promise<EventWait[]> {
    const { rows } = await tx.query<EventWaitRow>(
      `select ${COLUMNS} from event_waits where run_id = $1::uuid and status = any($2::text[]) order by step_key for update`,
      [runId, EVENT_WAIT_MOVES.match.from],
    );
    return rows.map(toWait);
  }

  /** Closes one wait with the event, whatever its `match`: the signal names it. Null if no longer open. */
  async matchOne(waitId: string, eventId: string, tx: Queryable): Promise<EventWait | undefined> {
    const { rows } = await tx.query<EventWaitRow>(
      `update event_waits set status = 'matched', event_id = $2::uuid, matched_at = now()
        where id = $1::uuid and status = any($3::text[])
        returning ${COLUMNS}`,
      [waitId, eventId, EVENT_WAIT_MOVES.match.from],
    );
    return rows[0] ? toWait(rows[0]) : undefined;
  }

  async find(runId: string, stepKey: string, tx: Queryable = this.db): Promise<EventWait | undefined> {
    const { rows } = await tx.query<EventWaitRow>(`select ${COLUMNS} from event_waits where run_id = $1::uuid and step_key = $2::text`, [runId, stepKey]);
    return rows[0] ? toWait(rows[0]) : undefined;
  }

  /** Open waits past their timeout become `timed_out`. */
  async expire(tx: Queryable = this.db): Promise<EventWait[]> {
    const { rows } = await tx.query<EventWaitRow>(
      `update event_waits set status = 'timed_out'
        where status = any($1::text[]) and expires_at is not null and expires_at <= now()
        returning ${COLUMNS}`,
      [EVENT_WAIT_MOVES.expire.from],
    );
    return rows.map(toWait);
  }
}
