import type { Database, Transaction } from '@baton/db';

/**
 * Wraps a Database so every statement Baton sends is counted (by its first words), inside
 * transactions too. Only the bench uses it, to say how many round trips a step costs.
 */
export interface StatementCounts {
  statements: number;
  transactions: number;
  bySql: Map<string, number>;
  /** Wall-clock ms spent waiting on each statement (round trip and server time). */
  msBySql: Map<string, number>;
  /** Wall-clock ms inside transactions, begin to commit. */
  transactionMs: number;
}

function label(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 90);
}

export function countingDatabase(db: Database): { db: Database; counts: StatementCounts; reset(): void } {
  const counts: StatementCounts = { statements: 0, transactions: 0, bySql: new Map(), msBySql: new Map(), transactionMs: 0 };
  const note = <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    counts.statements++;
    const key = label(sql);
    counts.bySql.set(key, (counts.bySql.get(key) ?? 0) + 1);
    const start = performance.now();
    return run().finally(() => counts.msBySql.set(key, (counts.msBySql.get(key) ?? 0) + performance.now() - start));
  };
  const wrapTx = (tx: Transaction): Transaction => ({
    query: (sql, params) => note(sql, () => tx.query(sql, params)),
    exec: (sql) => note(sql, () => tx.exec(sql)),
    afterCommit: (callback) => tx.afterCommit(callback),
  });
  const proxy = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'query') return (sql: string, params?: unknown[]) => note(sql, () => target.query(sql, params));
      if (property === 'exec') return (sql: string) => note(sql, () => target.exec(sql));
      if (property === 'transaction') {
        return <T>(fn: (tx: Transaction) => Promise<T>) => {
          counts.transactions++;
          // begin and commit are round trips too.
          counts.statements += 2;
          const start = performance.now();
          return target.transaction((tx) => fn(wrapTx(tx))).finally(() => (counts.transactionMs += performance.now() - start));
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    db: proxy,
    counts,
    reset: () => {
      counts.statements = 0;
      counts.transactions = 0;
      counts.bySql.clear();
      counts.msBySql.clear();
      counts.transactionMs = 0;
    },
  };
}
