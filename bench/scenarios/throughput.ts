import { echoPlan, independentSteps, resetRuns, startBaton, submitRuns, waitForRuns, type BatonServer } from '../lib/baton.js';
import { startBatonProcess } from '../lib/child.js';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { repeat } from '../lib/stats.js';

/**
 * Scenario 1: no-op steps end to end, submit to last run completed, as many runs of 100
 * independent steps and as one run of all the steps, on one and on two instances. Each
 * instance is a child process (its own event loop, so a second one adds CPU); on PGlite, and
 * for `throughput-inprocess`, one instance runs inside the bench process instead.
 */
export interface Shape {
  name: string;
  runs: number;
  stepsPerRun: number;
}

export function throughputShapes(scale: number): Shape[] {
  const total = scaled(10_000, scale, 100);
  return [
    { name: `${total / 100} runs x 100 steps`, runs: total / 100, stepsPerRun: 100 },
    { name: `1 run x ${total} steps`, runs: 1, stepsPerRun: total },
  ];
}

/** Runs `shape` once on `instances` and returns steps per second and seconds. */
export async function measureShape(ctx: BenchContext, instances: BatonServer[], shape: Shape): Promise<Record<string, number>> {
  const { concurrency } = ctx.baton;
  const plans = Array.from({ length: shape.runs }, () => echoPlan(independentSteps(shape.stepsPerRun), concurrency));
  await resetRuns(ctx.database.observer);
  const started = performance.now();
  const ids = await submitRuns(instances.map((i) => i.url), plans);
  const submitted = performance.now();
  await waitForRuns(ctx.database.observer, ids, 30 * 60_000);
  const seconds = (performance.now() - started) / 1000;
  const steps = shape.runs * shape.stepsPerRun;
  return { 'steps/s': steps / seconds, 'total s': seconds, 'submit s': (submitted - started) / 1000 };
}

export type InstanceMode = 'process' | 'in-process';

/** Child processes on Postgres; in this process on PGlite (one connection, one process). */
export function defaultMode(ctx: BenchContext): InstanceMode {
  return ctx.database.kind === 'postgres' ? 'process' : 'in-process';
}

export async function startInstances(ctx: BenchContext, count: number, mode: InstanceMode = defaultMode(ctx)): Promise<BatonServer[]> {
  const instances: BatonServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const id = `bench-${'abcdefgh'[i]}`;
      if (mode === 'process') instances.push(await startBatonProcess(ctx.database.url!, ctx.baton, id));
      else instances.push(await startBaton(i === 0 ? ctx.database.db : ctx.database.connect(ctx.baton.poolSize), ctx.baton, id));
    }
  } catch (error) {
    for (const instance of instances) await instance.close();
    throw error;
  }
  return instances;
}

export async function throughputScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const mode = defaultMode(ctx);
  return measureThroughput(ctx, mode === 'process' ? [1, 2] : [1], mode);
}

/** The in-process variant (one instance inside the bench process), as measured before 2026-11-20. */
export async function throughputInProcessScenario(ctx: BenchContext): Promise<ResultRow[]> {
  return measureThroughput(ctx, [1], 'in-process');
}

async function measureThroughput(ctx: BenchContext, counts: number[], mode: InstanceMode): Promise<ResultRow[]> {
  const result: ResultRow[] = [];
  for (const count of counts) {
    const instances = await startInstances(ctx, count, mode);
    try {
      for (const shape of throughputShapes(ctx.scale)) {
        const label = `${shape.name}, ${count} instance${count > 1 ? 's' : ''}${mode === 'in-process' ? ' in-process' : ''}`;
        ctx.log(`throughput: ${label}`);
        // The warm-up is a tenth of the size: it warms the JIT, pools and plans, not the tables.
        const warm: Shape = { ...shape, runs: Math.max(1, shape.runs / 10), stepsPerRun: shape.runs === 1 ? shape.stepsPerRun / 10 : shape.stepsPerRun };
        const figures = await repeat(ctx.reps, { 'steps/s': 'steps/s', 'total s': 's', 'submit s': 's' }, (rep) =>
          measureShape(ctx, instances, rep < 0 ? warm : shape),
        );
        result.push(...rows('1 throughput', label, figures));
        ctx.log(`  ${figures['steps/s']!.median.toFixed(0)} steps/s`);
      }
    } finally {
      for (const instance of instances) await instance.close();
    }
  }
  return result;
}
