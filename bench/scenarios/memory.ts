import { echoPlan, resetRuns, startBaton, submitRuns, waitForRuns, type PlanStep } from '../lib/baton.js';
import { startBatonProcess, type BatonProcess } from '../lib/child.js';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { repeat, sleep } from '../lib/stats.js';

/**
 * Scenario 6: resident memory of one Baton child process (`node dist/apps/api/src/main.js`,
 * read from /proc/<pid>/status), fresh for each repetition: idle after start-up, while 1,000
 * runs of 10 steps are in flight, at its peak (VmHWM), and idle again after they finished.
 * Each run is a gate step (`builtin:delay` of GATE_MS, longer than submitting all the runs
 * takes) and 9 steps of 100 ms after it; the instance may run runs + 100 steps at once
 * (ORCHESTRATION_MAX_CONCURRENCY, for this scenario only), so every run's gate runs at the
 * same time and no run can finish before the last one is submitted. The harness samples the
 * number of runs not yet terminal every 100 ms and reports its maximum, so "in flight" is
 * checked, not assumed; `submit s` must stay below the gate.
 * No warm-up: each repetition is a new process, and a warm-up in another process warms nothing
 * in this one.
 */
const STEP_MS = 100;
const TERMINAL = ['completed', 'failed', 'cancelled'];

function gatedSteps(count: number, gateMs: number): PlanStep[] {
  return [
    { id: 'gate', agent: 'builtin:delay', input: { ms: gateMs } },
    ...Array.from({ length: count - 1 }, (_, i) => ({ id: `s${i}`, agent: 'builtin:delay', depends_on: ['gate'], input: { ms: STEP_MS } })),
  ];
}

function gateMs(scale: number): number {
  return Math.max(3000, Math.round(20_000 * scale));
}

async function measureMemory(ctx: BenchContext, runs: number): Promise<Record<string, number>> {
  const { observer } = ctx.database;
  await resetRuns(observer);
  const concurrency = runs + 100;
  const baton: BatonProcess = await startBatonProcess(ctx.database.url!, { ...ctx.baton, concurrency }, 'bench-mem');
  try {
    await sleep(1000);
    const idle = baton.memory().rssMB;
    let maxInFlight = 0;
    let rssAtMax = idle;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows: counts } = await observer.query<{ n: number }>(
          'select count(*)::int as n from orchestration_runs where status <> all($1::text[])',
          [TERMINAL],
        );
        const rss = baton.memory().rssMB;
        if (counts[0]!.n > maxInFlight || (counts[0]!.n === maxInFlight && rss > rssAtMax)) {
          maxInFlight = counts[0]!.n;
          rssAtMax = rss;
        }
        await sleep(100);
      }
    })();
    const started = performance.now();
    let submitted = started;
    try {
      const ids = await submitRuns([baton.url], Array.from({ length: runs }, () => echoPlan(gatedSteps(10, gateMs(ctx.scale)), 10)), 16);
      submitted = performance.now();
      await waitForRuns(observer, ids, 30 * 60_000);
    } finally {
      sampling = false;
      await sampler;
    }
    const seconds = (performance.now() - started) / 1000;
    const peak = baton.memory().hwmMB;
    await sleep(2000);
    const after = baton.memory().rssMB;
    return {
      'idle RSS MB': idle,
      'max runs in flight': maxInFlight,
      'RSS at max in flight MB': rssAtMax,
      'peak RSS (VmHWM) MB': peak,
      'idle after MB': after,
      'submit s': (submitted - started) / 1000,
      'total s': seconds,
    };
  } finally {
    await baton.close();
  }
}

/** PGlite cannot be shared with a child process: the old in-process figure (whole bench process). */
async function measureInProcess(ctx: BenchContext, runs: number): Promise<Record<string, number>> {
  const instance = await startBaton(ctx.database.db, { ...ctx.baton, concurrency: runs + 100 }, 'bench-mem');
  try {
    await resetRuns(ctx.database.observer);
    await sleep(500);
    const idle = process.memoryUsage().rss / 2 ** 20;
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss / 2 ** 20)), 50);
    try {
      const ids = await submitRuns([instance.url], Array.from({ length: runs }, () => echoPlan(gatedSteps(10, gateMs(ctx.scale)), 10)), 16);
      await waitForRuns(ctx.database.observer, ids, 30 * 60_000);
    } finally {
      clearInterval(sampler);
    }
    return { 'idle RSS MB': idle, 'peak RSS (sampled) MB': peak };
  } finally {
    await instance.close();
  }
}

export async function memoryScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const runs = scaled(1_000, ctx.scale, 10);
  ctx.log(`memory: ${runs} runs x 10 steps (a ${gateMs(ctx.scale)} ms gate, then 9 of ${STEP_MS} ms) in flight`);
  if (ctx.database.kind !== 'postgres') {
    const figures = await repeat(ctx.reps, { 'idle RSS MB': 'MB', 'peak RSS (sampled) MB': 'MB' }, () => measureInProcess(ctx, runs));
    return rows('6 memory', `${runs} runs x 10 steps, bench process (PGlite)`, figures);
  }
  const figures = await repeat(
    ctx.reps,
    {
      'idle RSS MB': 'MB',
      'max runs in flight': 'runs',
      'RSS at max in flight MB': 'MB',
      'peak RSS (VmHWM) MB': 'MB',
      'idle after MB': 'MB',
      'submit s': 's',
      'total s': 's',
    },
    () => measureMemory(ctx, runs),
    { warmup: false },
  );
  ctx.log(`  idle ${figures['idle RSS MB']!.median.toFixed(0)} MB, ${figures['max runs in flight']!.median} in flight at ${figures['RSS at max in flight MB']!.median.toFixed(0)} MB, peak ${figures['peak RSS (VmHWM) MB']!.median.toFixed(0)} MB`);
  return rows('6 memory', `${runs} runs x 10 steps (gated), Baton child process`, figures);
}
