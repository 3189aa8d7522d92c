import type { Queryable } from './database.js';

/**
 * The Supabase CLI's record of applied migrations, kept in step with `baton_migrations` so
 * that `supabase db push` and Baton's own migrator can each run first (issue 13).
 *
 * The CLI keys a migration by its version, the digits before the first `_` of the file name,
 * and stores the rest of the name and the statements it ran. The table is created the way
 * the CLI creates it (a bare primary key, then the other columns if missing), so either side
 * finds what it expects whichever made it. Baton always creates it, also on plain Postgres and
 * PGlite: a database Baton migrated first may later be handed to `supabase db push`
 * (`--db-url`), and a Supabase project has no such schema until its first push.
 */
export interface SupabaseMigrationName {
  version: string;
  name: string;
}

const FILE_NAME = /^(\d+)_(.*)$/;

/** Version and name as the Supabase CLI reads them from `<version>_<name>.sql`. */
export function supabaseMigrationName(migration: string): SupabaseMigrationName | null {
  const match = FILE_NAME.exec(migration);
  return match ? { version: match[1]!, name: match[2]! } : null;
}

// The CLI's own statements (pkg/migration/history.go), so the table is the same whoever
// creates it. `if not exists` everywhere: the CLI may have made it, with or without columns.
const CREATE_HISTORY = `
  create schema if not exists supabase_migrations;
  create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
  alter table supabase_migrations.schema_migrations add column if not exists statements text[];
  alter table supabase_migrations.schema_migrations add column if not exists name text;
`;

export async function ensureSupabaseHistory(tx: Queryable): Promise<void> {
  await tx.exec(CREATE_HISTORY);
}

/** Versions `supabase db push` (or Baton) recorded as applied. */
export async function supabaseAppliedVersions(tx: Queryable): Promise<Set<string>> {
  const { rows } = await tx.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
  return new Set(rows.map((row) => row.version));
}

/**
 * Records a migration Baton applied, as the CLI would have: its statements are the file's
 * text as one element (the CLI splits files itself; nothing reads them back but `migration
 * repair`). A version already there is left alone.
 */
export async function recordSupabaseMigration(tx: Queryable, migration: string, sql: string): Promise<void> {
  const parsed = supabaseMigrationName(migration);
  if (!parsed) return;
  await tx.query(
    `insert into supabase_migrations.schema_migrations (version, name, statements)
     values ($1::text, $2::text, $3::text[]) on conflict (version) do nothing`,
    [parsed.version, parsed.name, [sql]],
  );
}
