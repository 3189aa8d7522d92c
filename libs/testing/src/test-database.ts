import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sha256Hex } from '@baton/common';
import { Database, PgDatabase, PgliteDatabase, loadMigrations, migrate } from '@baton/db';

/**
 * Test databases, migrated once and cloned per test file: PGlite from a dump of a migrated
 * instance, Postgres (TEST_DATABASE_URL) with CREATE DATABASE ... TEMPLATE.
 */
export type TestDatabaseKind = 'pglite' | 'postgres';

export interface TestDatabase {
  db: Database;
  kind: TestDatabaseKind;
  /** For Postgres: the URL of this clone (a second app or child process can use it). */
  url?: string;
  drop(): Promise<void>;
}

function migrationsHash(): string {
  return sha256Hex(loadMigrations().map((m) => `${m.name}:${m.checksum}`).join('\n')).slice(0, 12);
}

/** The database kinds this run of the tests covers: PGlite always, Postgres when configured. */
export function testDatabaseKinds(): TestDatabaseKind[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export async function createTestDatabase(kind: TestDatabaseKind = 'pglite'): Promise<TestDatabase> {
  return kind === 'pglite' ? createPgliteDatabase() : createPostgresDatabase();
}

async function createPgliteDatabase(): Promise<TestDatabase> {
  const file = join(tmpdir(), `baton-pglite-template-${migrationsHash()}.tar`);
  if (!existsSync(file)) {
    const fresh = await PgliteDatabase.open();
    await migrate(fresh);
    const dump = await fresh.dump();
    await fresh.close();
    // Write then rename: parallel workers may race here, and rename is atomic.
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
  }
  const db = await PgliteDatabase.fromDump(new Blob([readFileSync(file)]));
  return { db, kind: 'pglite', drop: () => db.close() };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function ensurePostgresTemplate(): Promise<string> {
  const base = process.env.TEST_DATABASE_URL!;
  const template = `baton_template_${migrationsHash()}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    // One worker builds the template; the others wait on the lock and then find it.
    await client.query('select pg_advisory_lock(7362002)');
    const exists = await client.query('select 1 from pg_database where datname = $1::text', [template]);
    if (exists.rowCount === 0) {
      const building = `${template}_building`;
      await client.query(`drop database if exists ${building} with (force)`);
      await client.query(`create database ${building}`);
      const db = new PgDatabase(withDatabase(base, building), 2);
      await migrate(db);
      await db.close();
      await client.query(`alter database ${building} rename to ${template}`);
    }
  } finally {
    await client.query('select pg_advisory_unlock(7362002)').catch(() => undefined);
    await client.end();
  }
  return template;
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const template = await ensurePostgresTemplate();
  const name = `baton_test_${randomBytes(6).toString('hex')}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(`create database ${name} template ${template}`);
      break;
    } catch (error) {
      // Another worker cloning the same template at this instant; try again shortly.
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  const url = withDatabase(base, name);
  const db = new PgDatabase(url, 10);
  return {
    db,
    kind: 'postgres',
    url,
    drop: async () => {
      await db.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}
