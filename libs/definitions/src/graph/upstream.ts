/**
 * "Is step T upstream of step S?" for the template references of a whole definition.
 *
 * A full ancestor matrix is V² bits (1.25 GB at 100k steps), and a search per reference is
 * O(V+E) each, so neither scales. Instead: references to a direct dependency (the common
 * case) are answered at once; the rest are grouped by distinct target, and one pass in
 * topological order propagates, per step, a bitset of which of those targets are its
 * ancestors. Targets go in chunks of TARGETS_PER_PASS, so memory stays at
 * V × TARGETS_PER_PASS bits (12.5 MB at 100k steps) however many references there are.
 * Targets are sorted by topological position and a pass only walks from its first target
 * to its last referencing step, so references that reach a few layers up stay cheap.
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
 * `order` is a complete topological order of step indices; `deps` the direct dependencies.
 */
export function areUpstream(order: readonly number[], deps: readonly number[][], queries: readonly UpstreamQuery[]): boolean[] {
  const answers = queries.map((q) => deps[q.step]!.includes(q.target));
  const pending = queries.map((_, i) => i).filter((i) => !answers[i]);
  if (pending.length === 0) return answers;
  const position = new Int32Array(deps.length);
  order.forEach((step, i) => (position[step] = i));
  const targets = [...new Set(pending.map((i) => queries[i]!.target))].sort((a, b) => position[a]! - position[b]!);
  const slot = new Int32Array(deps.length).fill(-1);
  const bits = new Uint32Array(deps.length * WORDS);
  for (let from = 0; from < targets.length; from += TARGETS_PER_PASS) {
    const chunk = targets.slice(from, from + TARGETS_PER_PASS);
    chunk.forEach((target, k) => (slot[target] = k));
    const mine = pending.filter((i) => slot[queries[i]!.target]! >= 0);
    let last = 0;
    for (const i of mine) last = Math.max(last, position[queries[i]!.step]!);
    propagate(order, deps, position, slot, bits, position[chunk[0]!]!, last);
    for (const i of mine) {
      const { step, target } = queries[i]!;
      const k = slot[target]!;
      answers[i] = (bits[step * WORDS + (k >>> 5)]! & (1 << (k & 31))) !== 0;
    }
    for (const target of chunk) slot[target] = -1;
  }
  return answers;
}

/**
 * Fills the bitsets of order[first..last]. Steps before `first` cannot have a chunk target
 * as an ancestor (every target is at or after `first`), so their stale bits are skipped
 * rather than cleared, which lets one buffer serve every pass.
 */
function propagate(
  order: readonly number[],
  deps: readonly number[][],
  position: Int32Array,
  slot: Int32Array,
  bits: Uint32Array,
  first: number,
  last: number,
): void {
  for (let p = first; p <= last; p++) {
    const step = order[p]!;
    const base = step * WORDS;
    bits.fill(0, base, base + WORDS);
    for (const dep of deps[step]!) {
      if (position[dep]! < first) continue;
      const depBase = dep * WORDS;
      for (let w = 0; w < WORDS; w++) bits[base + w] |= bits[depBase + w]!;
      const k = slot[dep]!;
      if (k >= 0) bits[base + (k >>> 5)] |= 1 << (k & 31);
    }
  }
}
