import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { ExternalEvent } from './message.types.js';

/** Which stored events still need their triggers checked, and the runs triggers started. */
@Injectable()
export class TriggerRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Oldest unchecked events first. Not locked: starting a run is idempotent per event and trigger. */
  async unchecked(limit: number, tx: Queryable = this.db): Promise<ExternalEvent[]> {
    const { rows } = await tx.query<{ id: string; event_key: string; name: string; data: unknown; source: string; created_at: Date }>(
      `select id, event_key, name, data, source, created_at from external_events
        where triggers_checked_at is null order by position limit $1::integer`,
      [limit],
    );
    return rows.map((row) => ({ id: row.id, key: row.event_key, name: row.name, data: row.data, source: row.source, createdAt: row.created_at }));
  }

  async markChecked(eventId: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(`update external_events set triggers_checked_at = now() where id = $1::uuid and triggers_checked_at is null`, [eventId]);
  }

  async recordRun(eventId: string, triggerKey: string, runId: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `insert into event_trigger_runs (event_id, trigger_key, run_id) values ($1::uuid, $2::text, $3::uuid)
       on conflict (event_id, trigger_key) do nothing`,
      [eventId, triggerKey, runId],
    );
  }

  /** The runs each of `eventIds` started, by event id. */
  async runsOf(eventIds: string[], tx: Queryable = this.db): Promise<Map<string, Array<{ runId: string; trigger: string }>>> {
    const result = new Map<string, Array<{ runId: string; trigger: string }>>();
    if (eventIds.length === 0) return result;
    const { rows } = await tx.query<{ event_id: string; run_id: string; trigger_key: string }>(
      `select event_id, run_id, trigger_key from event_trigger_runs where event_id = any($1::uuid[]) order by created_at`,
      [eventIds],
    );
    for (const row of rows) result.set(row.event_id, [...(result.get(row.event_id) ?? []), { runId: row.run_id, trigger: row.trigger_key }]);
    return result;
  }
}
