import { echoPlan, independentSteps, resetRuns, submitRuns, waitForRuns } from '../lib/baton.js';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { repeat, sleep } from '../lib/stats.js';
import { startInstances } from './throughput.js';

/**
 * Scenario 6: resident memory of the bench process (one Baton instance plus the harness, which
 * holds little) idle, and its peak while 1,000 runs of 10 no-op steps are in flight. RSS is
 * sampled every 50 ms; the harness's own share is the idle figure's floor, not subtracted.
 */
const MB = 2 ** 20;

async function measureMemory(ctx: BenchContext, url: string, runs: number): Promise<Record<string, number>> {
  await resetRuns(ctx.database.observer);
  await sleep(500);
  const idle = process.memoryUsage().rss;
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const ids = await submitRuns([url], Array.from({ length: runs }, () => echoPlan(independentSteps(10), 10)), 16);
    await waitForRuns(ctx.database.observer, ids, 30 * 60_000);
  } finally {
    clearInterval(sampler);
  }
  return { 'idle RSS MB': idle / MB, 'peak RSS MB': peak / MB };
}

export async function memoryScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const [instance] = await startInstances(ctx, 1);
  const runs = scaled(1_000, ctx.scale, 10);
  try {
    ctx.log(`memory: ${runs} runs x 10 steps in flight`);
    const figures = await repeat(ctx.reps, { 'idle RSS MB': 'MB', 'peak RSS MB': 'MB' }, () => measureMemory(ctx, instance!.url, runs));
    return rows('6 memory', `${runs} runs x 10 steps in flight`, figures);
  } finally {
    await instance!.close();
  }
}
