import { echoPlan, independentSteps, resetRuns, startBaton, submitRuns, waitForRuns, chainSteps } from '../lib/baton.js';
import { countingDatabase } from '../lib/counting-db.js';
import { figure } from '../lib/stats.js';
import type { BenchContext, ResultRow } from '../lib/context.js';
import { walPosition, walSince } from '../lib/wal.js';

/**
 * Not a timing: how many statements and transactions Baton sends per step, for 10 runs of 100
 * independent steps and for a chain of 100, on one instance, counted at the Database boundary.
 * Prints the most frequent statements, which is where round trips can be removed, and the
 * WAL bytes written per step (everything the server logged meanwhile, so keep it otherwise
 * idle): what a step writes, the cost that is left once round trips are gone.
 */
async function count(ctx: BenchContext, plans: Record<string, unknown>[], steps: number, label: string): Promise<ResultRow[]> {
  const counting = countingDatabase(ctx.database.connect(ctx.baton.poolSize));
  const instance = await startBaton(counting.db, ctx.baton, 'bench-count');
  try {
    await resetRuns(ctx.database.observer);
    counting.reset();
    const walStart = await walPosition(ctx.database.observer);
    const ids = await submitRuns([instance.url], plans);
    await waitForRuns(ctx.database.observer, ids, 10 * 60_000);
    const walBytes = walStart === null ? null : await walSince(ctx.database.observer, walStart);
    // The range, for `pg_waldump --stats` (what kinds of records a step writes).
    if (walStart !== null) ctx.log(`  WAL from ${walStart} to ${await walPosition(ctx.database.observer)}`);
    const { statements, transactions, bySql, msBySql, transactionMs } = counting.counts;
    const waited = [...msBySql.values()].reduce((a, b) => a + b, 0);
    ctx.log(`round trips, ${label}: ${(statements / steps).toFixed(2)} statements/step, ${(transactions / steps).toFixed(2)} transactions/step; ${(waited / steps).toFixed(2)} ms/step waiting on statements, ${(transactionMs / steps).toFixed(2)} ms/step in transactions${walBytes === null ? '' : `, ${Math.round(walBytes / steps)} WAL bytes/step`}; top statements (count, ms waited per step):`);
    const top = [...bySql.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.BENCH_TOP_STATEMENTS ?? 8));
    for (const [sql, n] of top) ctx.log(`  ${(n / steps).toFixed(2)}/step ${((msBySql.get(sql) ?? 0) / steps).toFixed(3)} ms  ${sql}`);
    return [
      { scenario: '1b round trips', case: label, metric: 'statements/step', figure: figure([statements / steps], 'stmts') },
      { scenario: '1b round trips', case: label, metric: 'transactions/step', figure: figure([transactions / steps], 'tx') },
      ...(walBytes === null ? [] : [{ scenario: '1b round trips', case: label, metric: 'WAL bytes/step', figure: figure([walBytes / steps], 'B') }]),
    ];
  } finally {
    await instance.close();
  }
}

export async function roundTripsScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const independent = Array.from({ length: 10 }, () => echoPlan(independentSteps(100), ctx.baton.concurrency));
  return [
    ...(await count(ctx, independent, 1000, '10 runs x 100 independent steps')),
    ...(await count(ctx, [echoPlan(chainSteps(100), 1)], 100, 'chain of 100')),
  ];
}

