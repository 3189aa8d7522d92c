import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { repeat } from '../lib/stats.js';

/**
 * Scenario 7: the same number of no-op jobs through graphile-worker 0.17 on the same database
 * (its own `graphile_worker` schema), with the same pool size, at its default concurrency (10)
 * and at Baton's. Jobs are added in bulk (`addJobs`, one statement per 1,000) as a user of
 * graphile-worker would; measured from the first add to the last job's success.
 */
const quiet = new Logger(() => (level, message) => {
  if (level === 'error') console.error(`graphile-worker: ${message}`);
});

async function measureJobs(utils: WorkerUtils, runner: Runner, jobs: number): Promise<Record<string, number>> {
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const onSuccess = () => {
    if (++done === jobs) resolveAll();
  };
  runner.events.on('job:success', onSuccess);
  try {
    const started = performance.now();
    for (let offset = 0; offset < jobs; offset += 1000) {
      const batch = Array.from({ length: Math.min(1000, jobs - offset) }, (_, i) => ({ identifier: 'noop', payload: { n: offset + i } }));
      await utils.addJobs(batch);
    }
    const submitted = performance.now();
    await all;
    const seconds = (performance.now() - started) / 1000;
    return { 'jobs/s': jobs / seconds, 'total s': seconds, 'submit s': (submitted - started) / 1000 };
  } finally {
    runner.events.off('job:success', onSuccess);
  }
}

/**
 * graphile-worker's own default concurrency. Issue 17's goal is stated against its default
 * configuration, so that case always runs, beside the one at Baton's concurrency.
 */
const GW_DEFAULT_CONCURRENCY = 10;

/** BENCH_GW_CONCURRENCY: a comma-separated list; default graphile's own 10 and Baton's. */
function concurrencies(baton: number): number[] {
  const listed = process.env.BENCH_GW_CONCURRENCY?.split(',').map(Number).filter((n) => n > 0);
  return [...new Set(listed && listed.length > 0 ? listed : [GW_DEFAULT_CONCURRENCY, baton])];
}

export async function graphileScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const url = ctx.database.url;
  if (!url) {
    ctx.log('graphile-worker: skipped (needs Postgres, not PGlite)');
    return [];
  }
  const jobs = scaled(10_000, ctx.scale, 100);
  const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
  await utils.migrate();
  const results: ResultRow[] = [];
  try {
    for (const concurrency of concurrencies(ctx.baton.concurrency)) {
      results.push(...(await measureAt(ctx, url, utils, jobs, concurrency)));
    }
  } finally {
    await utils.release();
  }
  return results;
}

async function measureAt(ctx: BenchContext, url: string, utils: WorkerUtils, jobs: number, concurrency: number): Promise<ResultRow[]> {
  const runner = await run({
    connectionString: url,
    concurrency,
    maxPoolSize: ctx.baton.poolSize,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: quiet,
    taskList: { noop: async () => undefined },
  });
  try {
    ctx.log(`graphile-worker: ${jobs} jobs, concurrency ${concurrency}, pool ${ctx.baton.poolSize}`);
    const figures = await repeat(ctx.reps, { 'jobs/s': 'jobs/s', 'total s': 's', 'submit s': 's' }, (rep) =>
      measureJobs(utils, runner, rep < 0 ? Math.max(100, jobs / 10) : jobs),
    );
    ctx.log(`  ${figures['jobs/s']!.median.toFixed(0)} jobs/s`);
    const label = concurrency === GW_DEFAULT_CONCURRENCY ? `concurrency ${concurrency} (its default)` : `concurrency ${concurrency}`;
    return rows('7 graphile-worker', `${jobs} jobs, 1 worker, ${label}`, figures);
  } finally {
    await runner.stop();
  }
}
