import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '@baton/common';
import type { Database } from './database.js';
import { ensureSupabaseHistory, recordSupabaseMigration, supabaseAppliedVersions, supabaseMigrationName } from './supabase-history.js';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

// Any constant works; it only has to be the same in every Baton process.
const MIGRATION_LOCK_KEY = 7_362_001;

/** `supabase/migrations`, found by walking up from this file (source or compiled). */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'supabase', 'migrations');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return resolve('supabase/migrations');
    dir = parent;
  }
}

export function loadMigrations(dir = defaultMigrationsDir()): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return { name: file.replace(/\.sql$/, ''), sql, checksum: sha256Hex(sql) };
    });
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so two instances
 * starting together apply each migration exactly once: the second waits, then finds nothing
 * to do. A migration edited after it was applied stops start-up rather than drifting.
 *
 * `supabase db push` may have applied some already: a migration whose version is in
 * `supabase_migrations.schema_migrations` is adopted (recorded here, not run again), and
 * every migration Baton knows as applied is recorded there, so a later push skips it too.
 * Returns the names of the migrations it ran.
 */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`create table if not exists baton_migrations (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    await ensureSupabaseHistory(tx);
    const { rows } = await tx.query<{ name: string; checksum: string }>(
      'select name, checksum from baton_migrations',
    );
    const applied = new Map(rows.map((row) => [row.name, row.checksum]));
    const pushed = await supabaseAppliedVersions(tx);
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.name);
      if (checksum !== undefined && checksum !== migration.checksum) {
        throw new Error(`migration ${migration.name} changed after it was applied; add a new migration instead`);
      }
      const version = supabaseMigrationName(migration.name)?.version;
      const byPush = version !== undefined && pushed.has(version);
      if (checksum === undefined) {
        // The push ran this file; its content cannot be compared (the CLI stores it split
        // into statements), so today's file is taken as what ran.
        if (!byPush) {
          await tx.exec(migration.sql);
          done.push(migration.name);
        }
        await tx.query('insert into baton_migrations (name, checksum) values ($1::text, $2::text)', [
          migration.name,
          migration.checksum,
        ]);
      }
      // Also for databases migrated before Baton kept the CLI's record.
      if (!byPush) await recordSupabaseMigration(tx, migration.name, migration.sql);
    }
    return done;
  });
}

/** Names of migrations not yet applied (for readiness). */
export async function pendingMigrations(db: Database, migrations = loadMigrations()): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `select name from baton_migrations where to_regclass('baton_migrations') is not null`,
  ).catch(() => ({ rows: [] as Array<{ name: string }> }));
  const applied = new Set(rows.map((row) => row.name));
  return migrations.filter((m) => !applied.has(m.name)).map((m) => m.name);
}
