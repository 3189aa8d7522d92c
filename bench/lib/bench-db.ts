import pg from 'pg';
import { Database, PgDatabase, PgliteDatabase, migrate } from '@baton/db';

/**
 * The database a bench invocation runs on: a fresh Postgres database created for it and dropped
 * at the end (so a benchmark never touches other data), or an in-memory PGlite.
 */
export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** The fresh database's URL (Postgres only); a second instance or graphile-worker connects here. */
  url?: string;
  name?: string;
  /** The connection the first Baton instance uses. */
  db: Database;
  /** A separate small pool for the harness's own reads, so it never queues behind the apps. */
  observer: Database;
  serverVersion: string;
  /** Opens another pool on the same database (a second Baton instance). */
  connect(poolSize?: number): Database;
  drop(): Promise<void>;
}

export const DEFAULT_BENCH_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function openBenchDatabase(options: { pglite: boolean; url?: string; poolSize: number }): Promise<BenchDatabase> {
  if (options.pglite) {
    const db = await PgliteDatabase.open();
    await migrate(db);
    const version = (await db.query<{ v: string }>('select version() as v')).rows[0]!.v;
    return {
      kind: 'pglite',
      db,
      // PGlite is one connection: the harness shares it (its reads queue behind the app's).
      observer: db,
      serverVersion: `PGlite: ${version}`,
      connect: () => {
        throw new Error('a second instance needs Postgres (PGlite is single-connection)');
      },
      drop: () => db.close(),
    };
  }
  const base = options.url ?? DEFAULT_BENCH_URL;
  const name = `baton_bench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  // Identifiers cannot be parameters; `name` is built above from digits only.
  await admin(base, (client) => client.query(`create database ${name}`));
  const url = withDatabase(base, name);
  const pools: Database[] = [];
  const connect = (poolSize = options.poolSize): Database => {
    const db = new PgDatabase(url, poolSize);
    pools.push(db);
    return db;
  };
  const db = connect();
  const observer = connect(3);
  await migrate(db);
  const version = (await observer.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
  return {
    kind: 'postgres',
    url,
    name,
    db,
    observer,
    serverVersion: `PostgreSQL ${version}`,
    connect,
    drop: async () => {
      for (const pool of pools) await pool.close().catch(() => undefined);
      await admin(base, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}
