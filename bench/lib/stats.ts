/** Small statistics helpers: every figure in the report is a median with its spread. */

export interface Figure {
  median: number;
  min: number;
  max: number;
  /** Each repetition's value, in order. */
  samples: number[];
  unit: string;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank: the smallest value with at least p% of the samples at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function figure(samples: readonly number[], unit: string): Figure {
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples: [...samples],
    unit,
  };
}

/**
 * Runs `once` for a warm-up (result discarded) and then `reps` times. Each call returns named
 * numbers; the result is one figure per name.
 */
export async function repeat(
  reps: number,
  units: Record<string, string>,
  once: (rep: number) => Promise<Record<string, number>>,
  options: { warmup?: boolean } = {},
): Promise<Record<string, Figure>> {
  if (options.warmup ?? true) await once(-1);
  const collected: Record<string, number[]> = {};
  for (let rep = 0; rep < reps; rep++) {
    const values = await once(rep);
    for (const [name, value] of Object.entries(values)) (collected[name] ??= []).push(value);
  }
  const figures: Record<string, Figure> = {};
  for (const [name, samples] of Object.entries(collected)) figures[name] = figure(samples, units[name] ?? '');
  return figures;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
