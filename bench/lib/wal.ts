import type { Database } from '@baton/db';

/**
 * WAL bytes as a measure of what a piece of work writes: deterministic where timings are not.
 * The difference counts everything the server logged meanwhile, so keep it otherwise idle.
 */

/** The server's WAL insert position, or null where there is none to read (PGlite). */
export async function walPosition(observer: Database): Promise<string | null> {
  try {
    const { rows } = await observer.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
    return rows[0]!.lsn;
  } catch {
    return null;
  }
}

/** Bytes of WAL written since `start`, a `walPosition`. */
export async function walSince(observer: Database, start: string): Promise<number> {
  const { rows } = await observer.query<{ bytes: string }>('select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::text as bytes', [start]);
  return Number(rows[0]!.bytes);
}
