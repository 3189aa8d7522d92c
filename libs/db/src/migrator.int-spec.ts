import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgDatabase } from './pg-database.js';
import { PgliteDatabase } from './pglite-database.js';
import { loadMigrations, migrate, pendingMigrations } from './migrator.js';

describe('migrations on PGlite', () => {
  it('applies every migration once and then finds nothing to do', async () => {
    const db = await PgliteDatabase.open();
    try {
      const all = loadMigrations().map((m) => m.name);
      expect(await pendingMigrations(db)).toEqual(all);
      expect(await migrate(db)).toEqual(all);
      expect(await migrate(db)).toEqual([]);
      expect(await pendingMigrations(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('refuses to start when an applied migration was edited', async () => {
    const db = await PgliteDatabase.open();
    try {
      const migrations = loadMigrations();
      await migrate(db, migrations);
      const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: 'changed' } : m));
      await expect(migrate(db, edited)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await db.close();
    }
  });
});

const postgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

postgres('migrations on Postgres (needs TEST_DATABASE_URL)', () => {
  const name = `baton_migrate_${randomBytes(5).toString('hex')}`;
  let url: string;

  async function admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  }

  beforeAll(async () => {
    await admin(`create database ${name}`);
    const parsed = new URL(process.env.TEST_DATABASE_URL!);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
  });

  afterAll(() => admin(`drop database if exists ${name} with (force)`));

  it('applies each migration exactly once when two instances start together', async () => {
    const a = new PgDatabase(url, 2);
    const b = new PgDatabase(url, 2);
    try {
      const [appliedA, appliedB] = await Promise.all([migrate(a), migrate(b)]);
      const all = loadMigrations().map((m) => m.name);
      // One instance applied everything; the other waited on the lock and found nothing to do.
      expect([...appliedA, ...appliedB].sort()).toEqual(all);
      expect([appliedA.length, appliedB.length].sort()).toEqual([0, all.length]);
      const { rows } = await a.query<{ n: number }>('select count(*)::int as n from baton_migrations');
      expect(rows[0]!.n).toBe(all.length);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
