import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';

export interface CachedOutput {
  output: unknown;
  storedAt: Date;
  expiresAt: Date;
}

/** orchestration_step_cache: shared across instances. */
@Injectable()
export class StepCacheRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** A live entry, counting the hit. */
  async hit(key: string): Promise<CachedOutput | null> {
    const { rows } = await this.db.query<{ output: unknown; stored_at: Date; expires_at: Date }>(
      `update orchestration_step_cache set hit_count = hit_count + 1
        where cache_key = $1::text and expires_at > now()
        returning output, stored_at, expires_at`,
      [key],
    );
    const row = rows[0];
    return row ? { output: row.output, storedAt: row.stored_at, expiresAt: row.expires_at } : null;
  }

  async store(key: string, output: unknown, definitionId: string, stepKey: string, ttlSeconds: number): Promise<CachedOutput> {
    const { rows } = await this.db.query<{ stored_at: Date; expires_at: Date }>(
      `insert into orchestration_step_cache (cache_key, output, definition_id, step_key, stored_at, expires_at)
       values ($1::text, $2::jsonb, $3::uuid, $4::text, now(), now() + ($5::int * interval '1 second'))
       on conflict (cache_key) do update
         set output = excluded.output, stored_at = excluded.stored_at, expires_at = excluded.expires_at, hit_count = 0
       returning stored_at, expires_at`,
      [key, JSON.stringify(output ?? null), definitionId, stepKey, ttlSeconds],
    );
    return { output, storedAt: rows[0]!.stored_at, expiresAt: rows[0]!.expires_at };
  }

  async pruneExpired(): Promise<number> {
    const { rowCount } = await this.db.query(`delete from orchestration_step_cache where expires_at <= now()`);
    return rowCount;
  }
}
