import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Database, type Queryable } from '@baton/db';
import type { NewEvent, RunEvent } from './event-types.js';

interface EventRow {
  id: number;
  tx_id: string;
  run_id: string;
  seq: number;
  type: string;
  step_key: string | null;
  data: Record<string, unknown>;
  created_at: Date;
}

function toEvent(row: EventRow): RunEvent {
  return {
    id: row.id,
    position: `${row.tx_id}.${row.id}`,
    runId: row.run_id,
    seq: row.seq,
    type: row.type as RunEvent['type'],
    stepKey: row.step_key,
    data: row.data ?? {},
    createdAt: row.created_at,
  };
}

/** The NOTIFY channel an append signals on; the payload is the run id. */
export const EVENTS_CHANNEL = 'baton_events';

const COLUMNS = 'id, tx_id::text as tx_id, run_id, seq, type, step_key, data, created_at';

/** The columns a source of new events gives `eventAppendCtes`, in this order. */
export const EVENT_SOURCE_COLUMNS = 'ord int, run_id uuid, type text, step_key text, data jsonb';

/** New events as the jsonb recordset `EVENT_SOURCE_COLUMNS` describes (`ord`: their order). */
export function eventPayload(events: NewEvent[], firstOrd = 0): string {
  return JSON.stringify(
    events.map((e, i) => ({ ord: firstOrd + i, run_id: e.runId, type: e.type, step_key: e.stepKey ?? null, data: e.data ?? {} })),
  );
}

/**
 * The append as CTEs, for `append` and for a statement of another repository that appends
 * the events of its own writes in the same round trip (issue 17: the claim writes its
 * `step.started` events itself). `source` is a query of (EVENT_SOURCE_COLUMNS); the stored
 * rows come out of the CTE `appended_events` (COLUMNS, plus `notified`), which the statement
 * must read: that read is what sends the NOTIFY. `channel` is the parameter holding
 * EVENTS_CHANNEL. The upsert on orchestration_event_streams takes each run's row lock until
 * commit, which is what makes `seq` gap-free and commit-ordered.
 */
export function eventAppendCtes(source: string, channel: string): string {
  return `new_events as (
         select e.ord, e.run_id, e.type, e.step_key, e.data,
                row_number() over (partition by e.run_id order by e.ord) as rn
           from (${source}) as e
       ), new_event_counts as (
         select run_id, count(*)::bigint as n from new_events group by run_id
       ), event_streams_bumped as (
         insert into orchestration_event_streams as s (run_id, last_seq)
         select run_id, n from new_event_counts
         on conflict (run_id) do update set last_seq = s.last_seq + excluded.last_seq
         returning s.run_id, s.last_seq
       ), events_inserted as (
         insert into orchestration_events (run_id, seq, type, step_key, data)
         select ev.run_id, b.last_seq - c.n + ev.rn, ev.type, ev.step_key, ev.data
           from new_events ev join event_streams_bumped b on b.run_id = ev.run_id join new_event_counts c on c.run_id = ev.run_id
          order by ev.ord
         returning id, tx_id, run_id, seq, type, step_key, data, created_at
       ), appended_events as (
         -- NOTIFY inside the transaction is delivered only on commit (and Postgres folds equal
         -- payloads of one transaction into one), so readers on every instance wake exactly
         -- when the rows become visible. The payload is a hint; readers always read the table.
         select id, tx_id::text as tx_id, run_id, seq, type, step_key, data, created_at,
                pg_notify(${channel}::text, run_id::text)::text as notified
           from events_inserted
       )`;
}

/** `appended_events` rows as one jsonb array, for a statement that returns other rows too. */
export const APPENDED_EVENTS_JSON = `(select coalesce(jsonb_agg(to_jsonb(a) - 'notified' order by a.id), '[]'::jsonb) from appended_events a)`;

/** Events as `APPENDED_EVENTS_JSON` gives them (timestamps and ids as JSON text and numbers). */
export function eventsFromJson(rows: Array<Omit<EventRow, 'created_at'> & { created_at: string }>): RunEvent[] {
  return rows.map((row) => toEvent({ ...row, id: Number(row.id), seq: Number(row.seq), created_at: new Date(row.created_at) }));
}

@Injectable()
export class EventLogRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Appends a batch in one statement. The upsert on orchestration_event_streams takes each
   * run's row lock until commit, which is what makes `seq` gap-free and commit-ordered.
   */
  async append(events: NewEvent[], tx: Queryable): Promise<RunEvent[]> {
    const { rows } = await tx.query<EventRow>(
      `with ${eventAppendCtes(`select * from jsonb_to_recordset($1::jsonb) as e(${EVENT_SOURCE_COLUMNS})`, '$2')}
       select * from appended_events`,
      [eventPayload(events), EVENTS_CHANNEL],
    );
    return rows.map(toEvent).sort((a, b) => a.id - b.id);
  }

  /**
   * Every run's events after `position`, in global order, up to the oldest transaction
   * still running: later positions can then never turn up behind the cursor.
   */
  /**
   * The newest position every later reader will see (below the oldest running transaction):
   * a cursor for "from now on". Null when the log is empty.
   */
  async globalHead(): Promise<string | null> {
    const { rows } = await this.db.query<{ position: string }>(
      `select tx_id::text || '.' || id as position from orchestration_events
        where tx_id < pg_snapshot_xmin(pg_current_snapshot())
        order by tx_id desc, id desc limit 1`,
    );
    return rows[0]?.position ?? null;
  }

  async listGlobalAfter(position: string | null, limit: number): Promise<RunEvent[]> {
    const [txId, id] = position ? position.split('.') : ['0', '0'];
    const { rows } = await this.db.query<EventRow>(
      `select ${COLUMNS} from orchestration_events
        where (tx_id, id) > ($1::text::xid8, $2::bigint)
          and tx_id < pg_snapshot_xmin(pg_current_snapshot())
        order by tx_id, id limit $3::int`,
      [txId, id, limit],
    );
    return rows.map(toEvent);
  }

  async listAfter(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      `select ${COLUMNS} from orchestration_events
        where run_id = $1::uuid and seq > $2::bigint order by seq limit $3::int`,
      [runId, afterSeq, limit],
    );
    return rows.map(toEvent);
  }

  /** The run's latest event of one type: a backward scan of the (run_id, seq) index. */
  async lastOfType(runId: string, type: string): Promise<RunEvent | undefined> {
    const { rows } = await this.db.query<EventRow>(
      `select ${COLUMNS} from orchestration_events
        where run_id = $1::uuid and type = $2::text order by seq desc limit 1`,
      [runId, type],
    );
    return rows[0] ? toEvent(rows[0]) : undefined;
  }

  /**
   * The events of a run up to `uptoSeq` that shape a stream resumed there: the child runs it
   * started and whether it had finished. One indexed range scan on (run_id, seq).
   */
  async listMarkersUpTo(runId: string, uptoSeq: number, terminalTypes: string[]): Promise<RunEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      `select ${COLUMNS} from orchestration_events
        where run_id = $1::uuid and seq <= $2::bigint
          and (type = 'step.child_started' or type = any($3::text[]))
        order by seq`,
      [runId, uptoSeq, terminalTypes],
    );
    return rows.map(toEvent);
  }

  /**
   * Appends one event for a run that does not exist, through the same statement as `append`,
   * inside a savepoint that is always rolled back: proves the log takes writes (table,
   * privileges, triggers) and leaves nothing behind (the NOTIFY goes with the savepoint), even
   * when a caller's transaction is open (PGlite joins it). Throws what the append threw.
   */
  async probe(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('savepoint baton_event_log_probe');
      try {
        await this.append([{ runId: randomUUID(), type: 'run.created' }], tx);
      } finally {
        await tx.query('rollback to savepoint baton_event_log_probe');
      }
    });
  }
}
