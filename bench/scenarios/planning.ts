import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { validateDefinition } from '@baton/definitions';
import { rows, type BenchContext, type ResultRow } from '../lib/context.js';
import { repeat } from '../lib/stats.js';

/**
 * Scenario 3: validate and plan layered random DAGs (pure, no database). Each layer's steps
 * depend on 1-3 random steps of the previous layer (fan-in), which gives fan-out too.
 */
export const PLANNING_SIZES = [1_000, 10_000, 100_000];

/** mulberry32: a seeded generator, so every invocation plans the same graphs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function layeredDag(size: number, seed = 42): Record<string, unknown> {
  const next = random(seed);
  const width = Math.max(4, Math.round(Math.sqrt(size)));
  const steps: Array<{ id: string; agent: string; depends_on?: string[] }> = [];
  let previous: string[] = [];
  for (let layer = 0; steps.length < size; layer++) {
    const current: string[] = [];
    for (let i = 0; i < width && steps.length < size; i++) {
      const id = `l${layer}_s${i}`;
      const deps = new Set<string>();
      const fanIn = previous.length === 0 ? 0 : 1 + Math.floor(next() * 3);
      for (let d = 0; d < fanIn; d++) deps.add(previous[Math.floor(next() * previous.length)]!);
      steps.push({ id, agent: 'builtin:echo', ...(deps.size ? { depends_on: [...deps] } : {}) });
      current.push(id);
    }
    previous = current;
  }
  return { name: `dag-${size}`, version: '1', orchestration: { execution: { concurrency: { maxParallel: 10 } } }, steps };
}

let gcFn: (() => void) | undefined;
function gc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

function measurePlanning(body: Record<string, unknown>): Record<string, number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = validateDefinition(body, { maxSteps: Number.POSITIVE_INFINITY });
  // The plan is built when first read (storing a definition never reads it): read it here, so
  // the scenario still times validating and planning.
  const planned = result.ok ? result.definition.plan.order.length : 0;
  const ms = performance.now() - started;
  // Heap growth across the call without collecting first: what the call allocated and had not
  // yet been collected, an approximation of its peak (a minor GC inside the call lowers it).
  const grown = process.memoryUsage().heapUsed - before;
  if (!result.ok) throw new Error(`planning failed: ${JSON.stringify(result.errors.slice(0, 3))}`);
  if (planned !== (body.steps as unknown[]).length) throw new Error(`planning ordered ${planned} of ${(body.steps as unknown[]).length} steps`);
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  return { ms, 'heap growth MB': grown / 2 ** 20, 'retained MB': retained / 2 ** 20 };
}

export async function planningScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const result: ResultRow[] = [];
  for (const size of PLANNING_SIZES) {
    const body = layeredDag(size);
    ctx.log(`planning: ${size} steps`);
    const figures = await repeat(ctx.reps, { ms: 'ms', 'heap growth MB': 'MB', 'retained MB': 'MB' }, async () => measurePlanning(body));
    ctx.log(`  ${figures.ms!.median.toFixed(1)} ms`);
    result.push(...rows('3 planning', `${size} steps`, figures));
  }
  return result;
}
