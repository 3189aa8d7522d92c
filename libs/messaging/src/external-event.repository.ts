import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { ExternalEvent } from './message.types.js';

interface ExternalEventRow {
  id: string;
  event_key: string;
  name: string;
  data: unknown;
  source: string;
  created_at: Date;
}

const COLUMNS = 'id, event_key, name, data, source, created_at';

function toEvent(row: ExternalEventRow): ExternalEvent {
  return { id: row.id, key: row.event_key, name: row.name, data: row.data, source: row.source, createdAt: row.created_at };
}

/** Stored external events, idempotent by key. */
@Injectable()
export class ExternalEventRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Stores the event unless its key is already stored. One statement, so two instances
   * posting the same key at once store it once: the loser's insert does nothing and it reads
   * the winner's row (visible: the winner committed before the conflict resolved).
   */
  async insertOnce(
    event: { key: string; name: string; data: unknown; source: string },
    tx: Queryable = this.db,
  ): Promise<{ event: ExternalEvent; created: boolean }> {
    const inserted = await tx.query<ExternalEventRow>(
      `insert into external_events (event_key, name, data, source) values ($1::text, $2::text, $3::jsonb, $4::text)
       on conflict (event_key) do nothing
       returning ${COLUMNS}`,
      [event.key, event.name, JSON.stringify(event.data), event.source],
    );
    if (inserted.rows[0]) return { event: toEvent(inserted.rows[0]), created: true };
    const existing = await tx.query<ExternalEventRow>(`select ${COLUMNS} from external_events where event_key = $1::text`, [event.key]);
    return { event: toEvent(existing.rows[0]!), created: false };
  }

  /**
   * Stores an event addressed to one wait (a session's `signal`): marked as checked for
   * triggers at once, so it starts no run, and never matched against other waits.
   */
  async insertSignal(event: { key: string; name: string; data: unknown; source: string }, tx: Queryable): Promise<ExternalEvent> {
    const { rows } = await tx.query<ExternalEventRow>(
      `insert into external_events (event_key, name, data, source, triggers_checked_at)
       values ($1::text, $2::text, $3::jsonb, $4::text, now())
       returning ${COLUMNS}`,
      [event.key, event.name, JSON.stringify(event.data), event.source],
    );
    return toEvent(rows[0]!);
  }

  async findById(id: string, tx: Queryable = this.db): Promise<ExternalEvent | undefined> {
    const { rows } = await tx.query<ExternalEventRow>(`select ${COLUMNS} from external_events where id = $1::uuid`, [id]);
    return rows[0] ? toEvent(rows[0]) : undefined;
  }

  /** Newest first, optionally one name only. */
  async listRecent(limit: number, name?: string, tx: Queryable = this.db): Promise<ExternalEvent[]> {
    const { rows } = await tx.query<ExternalEventRow>(
      `select ${COLUMNS} from external_events where ($2::text is null or name = $2::text)
        order by position desc limit $1::integer`,
      [limit, name ?? null],
    );
    return rows.map(toEvent);
  }
}
