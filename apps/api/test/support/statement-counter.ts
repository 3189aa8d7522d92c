import type { Database } from '@baton/db';

/**
 * Counts the statements Baton sends through a Database (plain queries and statements inside
 * transactions). Server-wide counters such as pg_stat_database also see autovacuum and
 * other sessions, which makes them too noisy to assert on. `only` counts just the matching SQL;
 * `sentAt` holds when each counted statement was sent (ms since the epoch).
 */
export function countStatements(db: Database, only?: RegExp): { readonly count: number; readonly sentAt: number[] } {
  const counter = { count: 0, sentAt: [] as number[] };
  const counted = () => {
    counter.count++;
    counter.sentAt.push(Date.now());
  };
  const query = db.query.bind(db);
  const transaction = db.transaction.bind(db);
  db.query = ((sql: string, params?: unknown[]) => {
    if (!only || only.test(sql)) counted();
    return query(sql, params);
  }) as Database['query'];
  db.transaction = ((fn: Parameters<Database['transaction']>[0]) =>
    transaction((tx) => {
      const inner = tx.query.bind(tx);
      tx.query = ((sql: string, params?: unknown[]) => {
        if (!only || only.test(sql)) counted();
        return inner(sql, params);
      }) as typeof tx.query;
      return fn(tx);
    })) as Database['transaction'];
  return counter;
}

/**
 * Records the statements of every transaction begun through a Database from now on, each
 * transaction's SQL in the order sent: which statements one unit of work ran together.
 */
export function recordTransactions(db: Database): string[][] {
  const transactions: string[][] = [];
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: Parameters<Database['transaction']>[0]) =>
    transaction((tx) => {
      const statements: string[] = [];
      transactions.push(statements);
      const inner = tx.query.bind(tx);
      tx.query = ((sql: string, params?: unknown[]) => {
        statements.push(sql);
        return inner(sql, params);
      }) as typeof tx.query;
      return fn(tx);
    })) as Database['transaction'];
  return transactions;
}
