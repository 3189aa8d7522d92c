import { echoPlan, getJson, independentSteps, resetRuns, submitRuns, waitForRuns } from '../lib/baton.js';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { percentile, repeat } from '../lib/stats.js';
import { startInstances } from './throughput.js';

/**
 * Scenario 5: `GET /api/v1/runs/:id` of a 1,000-step run (steps included in the response).
 * Under load: while runs of 100 no-op steps execute on the same instance. Alone: the same GET
 * once that run and the load have finished, nothing else running, which separates the
 * request's own cost from waiting behind the executor on one event loop. SQL only: the two
 * queries behind the GET (the run row, its steps in order) from the harness's own pool, so the
 * difference to "alone" is the server's mapping, presenting and JSON encoding. One client,
 * requests back to back: latency, not the server's maximum request rate.
 */
const RUN_STEPS = 1_000;
const ALONE_SAMPLES = 200;

function percentiles(latencies: number[], prefix = ''): Record<string, number> {
  return {
    [`${prefix}p50 ms`]: percentile(latencies, 50),
    [`${prefix}p95 ms`]: percentile(latencies, 95),
    [`${prefix}p99 ms`]: percentile(latencies, 99),
  };
}

async function timedGet(url: string, id: string): Promise<number> {
  const started = performance.now();
  const run = await getJson<{ steps: unknown[] }>(`${url}/api/v1/runs/${id}`);
  const ms = performance.now() - started;
  if (run.steps.length !== RUN_STEPS) throw new Error(`expected ${RUN_STEPS} steps, got ${run.steps.length}`);
  return ms;
}

async function measureQueries(ctx: BenchContext, url: string, loadRuns: number): Promise<Record<string, number>> {
  const { observer } = ctx.database;
  await resetRuns(observer);
  const [target] = await submitRuns([url], [echoPlan(independentSteps(RUN_STEPS), 10)]);
  const load = submitRuns([url], Array.from({ length: loadRuns }, () => echoPlan(independentSteps(100), ctx.baton.concurrency)), 4);
  let loadDone = false;
  const loadFinished = load
    .then((ids) => waitForRuns(observer, [...ids, target!], 30 * 60_000))
    .finally(() => (loadDone = true));
  const loaded: number[] = [];
  while (!loadDone || loaded.length < 50) loaded.push(await timedGet(url, target!));
  await loadFinished;

  const alone: number[] = [];
  for (let i = 0; i < ALONE_SAMPLES; i++) alone.push(await timedGet(url, target!));
  const sql: number[] = [];
  for (let i = 0; i < ALONE_SAMPLES; i++) {
    const started = performance.now();
    await observer.query('select * from orchestration_runs where id = $1::uuid', [target]);
    const { rows: steps } = await observer.query('select * from orchestration_steps where run_id = $1::uuid order by position', [target]);
    sql.push(performance.now() - started);
    if (steps.length !== RUN_STEPS) throw new Error(`expected ${RUN_STEPS} step rows, got ${steps.length}`);
  }
  return {
    ...percentiles(loaded),
    samples: loaded.length,
    ...percentiles(alone, 'alone '),
    'SQL only p50 ms': percentile(sql, 50),
    'SQL only p95 ms': percentile(sql, 95),
  };
}

export async function stateQueriesScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const [instance] = await startInstances(ctx, 1);
  const loadRuns = scaled(100, ctx.scale, 5);
  try {
    ctx.log(`state queries: GET of a ${RUN_STEPS}-step run under ${loadRuns} runs x 100 steps, then alone`);
    const figures = await repeat(
      ctx.reps,
      {
        'p50 ms': 'ms', 'p95 ms': 'ms', 'p99 ms': 'ms', samples: 'GETs',
        'alone p50 ms': 'ms', 'alone p95 ms': 'ms', 'alone p99 ms': 'ms', 'SQL only p50 ms': 'ms', 'SQL only p95 ms': 'ms',
      },
      () => measureQueries(ctx, instance!.url, loadRuns),
    );
    ctx.log(`  under load p95 ${figures['p95 ms']!.median.toFixed(1)} ms; alone p95 ${figures['alone p95 ms']!.median.toFixed(1)} ms; SQL p95 ${figures['SQL only p95 ms']!.median.toFixed(1)} ms`);
    const loaded = (({ 'p50 ms': a, 'p95 ms': b, 'p99 ms': c, samples: d }) => ({ 'p50 ms': a!, 'p95 ms': b!, 'p99 ms': c!, samples: d! }))(figures);
    return [
      ...rows('5 state queries', `${RUN_STEPS}-step run, ${loadRuns}x100 load`, loaded),
      ...rows('5 state queries', `${RUN_STEPS}-step run, alone`, {
        'p50 ms': figures['alone p50 ms']!, 'p95 ms': figures['alone p95 ms']!, 'p99 ms': figures['alone p99 ms']!,
      }),
      ...rows('5 state queries', `${RUN_STEPS}-step run, SQL only (harness pool)`, {
        'p50 ms': figures['SQL only p50 ms']!, 'p95 ms': figures['SQL only p95 ms']!,
      }),
    ];
  } finally {
    await instance!.close();
  }
}
