import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { PgDatabase } from './pg-database.js';

const describeOnPostgres = testDatabaseKinds().includes('postgres') ? describe : describe.skip;

/**
 * Prepared statements on a real Postgres server. One pooled connection, so
 * pg_prepared_statements (which lists only the asking session's) sees what the others ran.
 */
describeOnPostgres('prepared statements (postgres)', () => {
  let database: TestDatabase;
  const opened: PgDatabase[] = [];
  const open = (prepared: boolean) => {
    const db = new PgDatabase(database.url!, 1, { prepared });
    opened.push(db);
    return db;
  };
  const preparedTexts = async (db: PgDatabase) =>
    (await db.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements')).rows;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    await database.db.exec('create table prep_probe (id int primary key, label text); insert into prep_probe values (1, $$one$$), (2, $$two$$);');
  });
  afterAll(async () => {
    for (const db of opened) await db.close();
    await database?.drop();
  });

  it('prepares a statement with parameters the second time it runs, and reuses it', async () => {
    const db = open(true);
    const sql = 'select label from prep_probe where id = $1';
    expect((await db.query(sql, [1])).rows).toEqual([{ label: 'one' }]);
    expect((await preparedTexts(db)).map((p) => p.statement)).not.toContain(sql);
    expect((await db.query(sql, [2])).rows).toEqual([{ label: 'two' }]);
    await db.transaction((tx) => tx.query(sql, [1]));
    const prepared = (await preparedTexts(db)).filter((p) => p.statement === sql);
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.name).toMatch(/^baton_\d+$/);
  });

  it('prepares nothing with prepared: false (for a pooler in transaction mode)', async () => {
    const db = open(false);
    const sql = 'select label from prep_probe where id = $1 and $2::int = 0';
    for (let i = 0; i < 3; i++) await db.query(sql, [1, 0]);
    expect(await preparedTexts(db)).toEqual([]);
  });

  it('runs a statement unnamed once a migration changed its result columns, in and out of a transaction', async () => {
    const db = open(true);
    const plain = 'select * from prep_probe where id = $1';
    const inTx = 'select * from prep_probe where id = $1 and true';
    for (let i = 0; i < 2; i++) {
      await db.query(plain, [1]);
      await db.transaction((tx) => tx.query(inTx, [1]));
    }
    expect((await preparedTexts(db)).map((p) => p.statement)).toEqual(expect.arrayContaining([plain, inTx]));

    await database.db.exec('alter table prep_probe add column weight int default 7');

    // The transaction first: it rolls back and keeps its connection, on which the other
    // statement's prepared form is stale too (pg's pool drops a connection whose plain query
    // failed, which would leave nothing stale behind it).
    let attempts = 0;
    const rows = await db.transaction(async (tx) => {
      attempts++;
      return (await tx.query(inTx, [2])).rows;
    });
    expect(rows).toEqual([{ id: 2, label: 'two', weight: 7 }]);
    expect(attempts).toBe(2);
    expect((await db.query(plain, [1])).rows).toEqual([{ id: 1, label: 'one', weight: 7 }]);
    // Unnamed from now on: running them again changes nothing prepared.
    const before = (await preparedTexts(db)).length;
    await db.query(plain, [2]);
    await db.transaction((tx) => tx.query(inTx, [1]));
    expect((await preparedTexts(db)).length).toBe(before);
  });
});
