import { DBOS } from '@dbos-inc/dbos-sdk';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { figure, repeat } from '../lib/stats.js';
import { walPosition, walSince } from '../lib/wal.js';

/**
 * Scenario 8: DBOS Transact 5.3 (`@dbos-inc/dbos-sdk`), durable workflows whose steps are
 * checkpointed in Postgres, on the same database (its own `dbos` schema) in the same
 * invocation. The same two shapes as Baton's scenarios 2 and 1: a chain of 200 no-op steps as
 * ONE workflow of 200 sequential `DBOS.runStep` calls, and 10,000 no-op steps as 100
 * workflows × 100 steps, enqueued on a queue registered after `launch` (worker concurrency =
 * the bench's concurrency). DBOS runs in the bench process; measured from the first start or
 * enqueue to the last workflow's result.
 */
const CHAIN = 200;
const QUEUE = 'baton-bench';

const noop = async (): Promise<number> => 0;

const steps = DBOS.registerWorkflow(
  async (n: number): Promise<number> => {
    for (let i = 0; i < n; i++) await DBOS.runStep(noop, { name: 'noop' });
    return n;
  },
  { name: 'bench-steps' },
);

async function chain(n: number): Promise<Record<string, number>> {
  const started = performance.now();
  const handle = await DBOS.startWorkflow(steps)(n);
  if ((await handle.getResult()) !== n) throw new Error('DBOS chain returned the wrong count');
  const seconds = (performance.now() - started) / 1000;
  return { 'chain ms/step': (seconds * 1000) / n, 'total s': seconds };
}

async function fanOut(workflows: number, perWorkflow: number): Promise<Record<string, number>> {
  const started = performance.now();
  const handles = await Promise.all(
    Array.from({ length: workflows }, () => DBOS.startWorkflow(steps, { queueName: QUEUE })(perWorkflow)),
  );
  // A queued workflow's handle polls the system database for its result (default every 1 s);
  // 20 ms, as the harness polls Baton's runs.
  const results = await Promise.all(handles.map((handle) => handle.getResult({ pollingIntervalMs: 20 })));
  if (results.some((n) => n !== perWorkflow)) throw new Error('a DBOS workflow returned the wrong count');
  const seconds = (performance.now() - started) / 1000;
  return { 'steps/s': (workflows * perWorkflow) / seconds, 'total s': seconds };
}

export async function dbosScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const url = ctx.database.url;
  if (!url) {
    ctx.log('DBOS: skipped (needs Postgres, not PGlite)');
    return [];
  }
  // Not scaled, like Baton's chain (scenario 2): 200 steps take about a second.
  const chainLength = CHAIN;
  const total = scaled(10_000, ctx.scale, 100);
  // 100 x 100 at scale 1; a square of about the same total below it.
  const perWorkflow = Math.max(1, Math.round(Math.sqrt(total)));
  const workflows = Math.max(1, Math.round(total / perWorkflow));
  DBOS.setConfig({
    name: 'baton-bench',
    systemDatabaseUrl: url,
    systemDatabasePoolSize: ctx.baton.poolSize,
    logLevel: process.env.BENCH_LOGS ? 'info' : 'error',
  });
  await DBOS.launch();
  try {
    // The queue's dispatch loop polls; 50 ms instead of the default 1 s, so polling does
    // not dominate a run of a few seconds.
    await DBOS.registerQueue(QUEUE, { workerConcurrency: ctx.baton.concurrency, minPollingIntervalMs: 50 });
    ctx.log(`DBOS: chain of ${chainLength}; ${workflows} workflows x ${perWorkflow} steps, worker concurrency ${ctx.baton.concurrency}`);
    const chained = await repeat(ctx.reps, { 'chain ms/step': 'ms', 'total s': 's' }, (rep) => chain(rep < 0 ? Math.min(chainLength, 20) : chainLength));
    const fanned = await repeat(ctx.reps, { 'steps/s': 'steps/s', 'total s': 's' }, (rep) =>
      rep < 0 ? fanOut(Math.min(workflows, 10), Math.min(perWorkflow, 10)) : fanOut(workflows, perWorkflow),
    );
    // What a DBOS step writes, beside Baton's figure in scenario 1b (round trips).
    const walStart = await walPosition(ctx.database.observer);
    await chain(100);
    const walPerStep = walStart === null ? null : (await walSince(ctx.database.observer, walStart)) / 100;
    ctx.log(`  chain ${chained['chain ms/step']!.median.toFixed(2)} ms/step${walPerStep === null ? '' : ` (${Math.round(walPerStep)} WAL bytes/step)`}; fan-out ${fanned['steps/s']!.median.toFixed(0)} steps/s`);
    return [
      ...(walPerStep === null ? [] : [{ scenario: '8 DBOS', case: 'chain of 100, 1 workflow', metric: 'WAL bytes/step', figure: figure([walPerStep], 'B') }]),
      ...rows('8 DBOS', `chain of ${chainLength}, 1 workflow`, chained),
      ...rows('8 DBOS', `${workflows} workflows x ${perWorkflow} steps, queue`, fanned),
    ];
  } finally {
    await DBOS.shutdown();
  }
}
