import { echoPlan, getJson, independentSteps, resetRuns, submitRuns, waitForRuns } from '../lib/baton.js';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { percentile, repeat } from '../lib/stats.js';
import { startInstances } from './throughput.js';

/**
 * Scenario 5: `GET /api/v1/runs/:id` of a 1,000-step run (steps included in the response) while
 * runs of 100 no-op steps execute on the same instance. One client, requests back to back, so
 * the figure is latency under load, not the server's maximum request rate.
 */
const RUN_STEPS = 1_000;

async function measureQueries(ctx: BenchContext, url: string, loadRuns: number): Promise<Record<string, number>> {
  const { observer } = ctx.database;
  await resetRuns(observer);
  const [target] = await submitRuns([url], [echoPlan(independentSteps(RUN_STEPS), 10)]);
  const load = submitRuns([url], Array.from({ length: loadRuns }, () => echoPlan(independentSteps(100), ctx.baton.concurrency)), 4);
  let loadDone = false;
  const loadFinished = load
    .then((ids) => waitForRuns(observer, [...ids, target!], 30 * 60_000))
    .finally(() => (loadDone = true));
  const latencies: number[] = [];
  while (!loadDone || latencies.length < 50) {
    const started = performance.now();
    const run = await getJson<{ steps: unknown[] }>(`${url}/api/v1/runs/${target}`);
    latencies.push(performance.now() - started);
    if (run.steps.length !== RUN_STEPS) throw new Error(`expected ${RUN_STEPS} steps, got ${run.steps.length}`);
  }
  await loadFinished;
  return {
    'p50 ms': percentile(latencies, 50),
    'p95 ms': percentile(latencies, 95),
    'p99 ms': percentile(latencies, 99),
    samples: latencies.length,
  };
}

export async function stateQueriesScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const [instance] = await startInstances(ctx, 1);
  const loadRuns = scaled(100, ctx.scale, 5);
  try {
    ctx.log(`state queries: GET of a ${RUN_STEPS}-step run under ${loadRuns} runs x 100 steps`);
    const figures = await repeat(ctx.reps, { 'p50 ms': 'ms', 'p95 ms': 'ms', 'p99 ms': 'ms', samples: 'GETs' }, () =>
      measureQueries(ctx, instance!.url, loadRuns),
    );
    ctx.log(`  p95 ${figures['p95 ms']!.median.toFixed(1)} ms`);
    return rows('5 state queries', `${RUN_STEPS}-step run, ${loadRuns}x100 load`, figures);
  } finally {
    await instance!.close();
  }
}
