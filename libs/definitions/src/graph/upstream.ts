/**
 * "Is step T upstream of step S?" for the template references of a whole definition.
 *
 * A full ancestor matrix is V² bits (1.25 GB at 100k steps), and a search per reference is
 * O(V+E) each, so neither scales. Instead: references to a direct dependency (the common
 * case) are answered at once; the rest are grouped by distinct target, and one pass in
 * topological order propagates, per step, a bitset of which of those targets are its
 * ancestors. Targets go in chunks of TARGETS_PER_PASS so memory stays at
 * V × TARGETS_PER_PASS bits (12.5 MB at 100k steps) whatever the number of references.
 */

export interface UpstreamQuery {
  /** Index of the referencing step. */
  step: number;
  /** Index of the referenced step. */
  target: number;
}

const TARGETS_PER_PASS = 1024;
const WORDS = TARGETS_PER_PASS / 32;

/**
 * For each query, whether `target` is a transitive dependency of `step`.
 * `order` is a topological order of step indices; `deps` the direct dependencies by index.
 */
export function areUpstream(order: readonly number[], deps: readonly number[][], queries: readonly UpstreamQuery[]): boolean[] {
  const answers = queries.map((q) => deps[q.step]!.includes(q.target));
  const pendingTargets = [...new Set(queries.filter((_, i) => !answers[i]).map((q) => q.target))];
  for (let from = 0; from < pendingTargets.length; from += TARGETS_PER_PASS) {
    const chunk = pendingTargets.slice(from, from + TARGETS_PER_PASS);
    const bits = ancestorBits(order, deps, chunk);
    const slot = new Map(chunk.map((target, k) => [target, k]));
    queries.forEach((q, i) => {
      const k = slot.get(q.target);
      if (answers[i] || k === undefined) return;
      answers[i] = (bits[q.step * WORDS + (k >>> 5)]! & (1 << (k & 31))) !== 0;
    });
  }
  return answers;
}

/** Per step, a WORDS-long bitset of which `targets` are among its ancestors. */
function ancestorBits(order: readonly number[], deps: readonly number[][], targets: number[]): Uint32Array {
  const slotOf = new Int32Array(deps.length).fill(-1);
  targets.forEach((target, k) => (slotOf[target] = k));
  const bits = new Uint32Array(deps.length * WORDS);
  for (const step of order) {
    const base = step * WORDS;
    for (const dep of deps[step]!) {
      const depBase = dep * WORDS;
      for (let w = 0; w < WORDS; w++) bits[base + w] |= bits[depBase + w]!;
      const k = slotOf[dep]!;
      if (k >= 0) bits[base + (k >>> 5)] |= 1 << (k & 31);
    }
  }
  return bits;
}
