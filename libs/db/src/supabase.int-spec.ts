import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { PgDatabase } from './pg-database.js';
import { PgliteDatabase } from './pglite-database.js';
import { loadMigrations, migrate, type Migration } from './migrator.js';
import { supabaseMigrationName } from './supabase-history.js';

/**
 * Issue 13, on Supabase: `supabase db push` and Baton's migrator in either order, and the
 * row-level security a PostgREST dashboard reads through. Postgres only (roles, `set role`):
 * each test gets a fresh database on the server and drops it after.
 */
const postgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

async function admin<T = unknown>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * What `supabase db push` does for each pending file (the CLI's pkg/migration): create its
 * history table if missing, run the file, record version, name and statements.
 */
async function supabasePush(client: pg.Client, migrations: Migration[]): Promise<string[]> {
  await client.query('create schema if not exists supabase_migrations');
  await client.query('create table if not exists supabase_migrations.schema_migrations (version text not null primary key)');
  await client.query('alter table supabase_migrations.schema_migrations add column if not exists statements text[]');
  await client.query('alter table supabase_migrations.schema_migrations add column if not exists name text');
  const { rows } = await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
  const remote = new Set(rows.map((row) => row.version));
  const pushed: string[] = [];
  for (const migration of migrations) {
    const { version, name } = supabaseMigrationName(migration.name)!;
    if (remote.has(version)) continue;
    await client.query('begin');
    await client.query(migration.sql);
    await client.query('insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)', [version, name, [migration.sql]]);
    await client.query('commit');
    pushed.push(migration.name);
  }
  return pushed;
}

postgres('on Supabase (needs TEST_DATABASE_URL)', () => {
  const all = loadMigrations();
  let name = '';
  let url = '';
  let client: pg.Client;
  let db: PgDatabase;

  beforeEach(async () => {
    name = `baton_supabase_${randomBytes(5).toString('hex')}`;
    await admin(`create database ${name}`);
    const parsed = new URL(process.env.TEST_DATABASE_URL!);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    db = new PgDatabase(url, 2);
  });

  afterEach(async () => {
    await client.end();
    await db.close();
    await admin(`drop database if exists ${name} with (force)`);
  });

  it('adopts what `supabase db push` applied and runs only the rest', async () => {
    const half = Math.floor(all.length / 2);
    expect(await supabasePush(client, all.slice(0, half))).toHaveLength(half);
    const ran = await migrate(db, all);
    expect(ran).toEqual(all.slice(half).map((m) => m.name));
    const recorded = await db.query<{ name: string; checksum: string }>('select name, checksum from baton_migrations order by name');
    expect(recorded.rows).toEqual(all.map((m) => ({ name: m.name, checksum: m.checksum })));
    // ...and records what it ran for the CLI, so a second push finds nothing to do.
    expect(await supabasePush(client, all)).toEqual([]);
    expect(await migrate(db, all)).toEqual([]);
  });

  it('leaves `supabase db push` nothing to re-apply after Baton migrated first', async () => {
    expect(await migrate(db, all)).toHaveLength(all.length);
    const history = await client.query<{ version: string; name: string; statements: string[] }>(
      'select version, name, statements from supabase_migrations.schema_migrations order by version',
    );
    expect(history.rows).toEqual(all.map((m) => ({ ...supabaseMigrationName(m.name), statements: [m.sql] })));
    expect(await supabasePush(client, all)).toEqual([]);
  });

  it('backfills the CLI history of a database Baton migrated before it kept one', async () => {
    await migrate(db, all);
    await client.query('drop schema supabase_migrations cascade');
    expect(await migrate(db, all)).toEqual([]);
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from supabase_migrations.schema_migrations');
    expect(rows[0]!.n).toBe(all.length);
  });

  it('enables row-level security on every table, without FORCE, and Baton still reads and writes', async () => {
    await migrate(db, all);
    const { rows } = await client.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `select relname, relrowsecurity, relforcerowsecurity from pg_class
        where relkind = 'r' and relnamespace = 'public'::regnamespace order by relname`,
    );
    expect(rows.filter((row) => !row.relrowsecurity).map((row) => row.relname)).toEqual([]);
    expect(rows.filter((row) => row.relforcerowsecurity).map((row) => row.relname)).toEqual([]);
    const run = await seedRun(db, 'acme');
    const seen = await db.query<{ id: string }>('select id from orchestration_runs');
    expect(seen.rows.map((row) => row.id)).toEqual([run]);
  });

  it('lets baton_dashboard read only the runs, steps and events of its JWT owner, and write nothing', async () => {
    await migrate(db, all);
    const acme = await seedRun(db, 'acme');
    const other = await seedRun(db, 'globex');
    for (const [owner, run] of [['acme', acme], ['globex', other]]) {
      await db.query(`insert into orchestration_sessions (id, owner, run_id, request_hash) values ('chat-42', $1::text, $2::uuid, 'h')`, [owner, run]);
    }
    await client.query('begin');
    await client.query('set local role baton_dashboard');
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ role: 'baton_dashboard', baton_owner: 'acme' })]);
    expect((await client.query('select id from orchestration_runs')).rows).toEqual([{ id: acme }]);
    expect((await client.query('select distinct run_id from orchestration_steps')).rows).toEqual([{ run_id: acme }]);
    expect((await client.query('select distinct run_id from orchestration_events')).rows).toEqual([{ run_id: acme }]);
    // Session ids are unique per owner: both owners' "chat-42", and each reader sees its own.
    expect((await client.query('select owner, id, run_id from orchestration_sessions')).rows).toEqual([{ owner: 'acme', id: 'chat-42', run_id: acme }]);
    // The same claim inside app_metadata, where Supabase Auth puts what only the service role sets.
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ app_metadata: { baton_owner: 'globex' } })]);
    expect((await client.query('select id from orchestration_runs')).rows).toEqual([{ id: other }]);
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ user_metadata: { baton_owner: 'globex' } })]);
    expect((await client.query('select id from orchestration_runs')).rows).toEqual([]);
    await client.query('rollback');
    for (const write of [
      `update orchestration_runs set status = 'cancelled'`,
      `delete from orchestration_steps`,
      `insert into orchestration_events (run_id, seq, type) values ('${acme}', 99, 'x')`,
      'select token_hash from api_tokens',
    ]) {
      await client.query('begin');
      await client.query('set local role baton_dashboard');
      await client.query(`select set_config('request.jwt.claims', '{"baton_owner":"acme"}', true)`);
      await expect(client.query(write)).rejects.toThrow(/permission denied/);
      await client.query('rollback');
    }
  });

  it('shows baton_dashboard nothing without an owner claim', async () => {
    await migrate(db, all);
    await seedRun(db, '');
    await client.query('begin');
    await client.query('set local role baton_dashboard');
    expect((await client.query('select id from orchestration_runs')).rows).toEqual([]);
    await client.query('rollback');
  });
});

describe('on Supabase: the migrations on PGlite', () => {
  it('create the dashboard role and policies there too', async () => {
    const db = await PgliteDatabase.open();
    try {
      await migrate(db);
      const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from pg_policies where policyname like '%_owner_read'`);
      expect(rows[0]!.n).toBe(5);
      const history = await db.query<{ n: number }>('select count(*)::int as n from supabase_migrations.schema_migrations');
      expect(history.rows[0]!.n).toBe(loadMigrations().length);
    } finally {
      await db.close();
    }
  });
});

/** A run of `owner` with one step and one event, written as Baton's own connection. */
async function seedRun(db: PgDatabase, owner: string): Promise<string> {
  const definition = randomUUID();
  const run = randomUUID();
  await db.query(
    `insert into orchestration_definitions (id, owner, name, version, source, body, content_hash, step_count)
     values ($1::uuid, $2::text, $3::text, '1', 'saved', '{}'::jsonb, 'h', 1)`,
    [definition, owner, `d-${run}`],
  );
  await db.query(
    `insert into orchestration_runs (id, definition_id, definition_name, definition_version, owner, execution, max_parallel, steps_total)
     values ($1::uuid, $2::uuid, 'd', '1', $3::text, '{}'::jsonb, 1, 1)`,
    [run, definition, owner],
  );
  await db.query(`insert into orchestration_steps (run_id, step_key, position, status, deps_remaining) values ($1::uuid, 'a', 0, 'queued', 0)`, [run]);
  await db.query(`insert into orchestration_events (run_id, seq, type) values ($1::uuid, 1, 'run.created')`, [run]);
  return run;
}
