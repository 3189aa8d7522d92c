import type { Definition, StepSpec } from './definition.types.js';

/**
 * A definition's steps by id, built once per Definition object. The definition service's LRU
 * is the one cache of definitions; this index hangs off its objects (a WeakMap), so it lives
 * exactly as long as the cached definition and needs no eviction of its own. A definition
 * version never changes, so the index never goes stale.
 */
const indexes = new WeakMap<Definition, Map<string, StepSpec>>();

/** The step `id` of `definition`, or undefined. */
export function stepSpecOf(definition: Definition, id: string): StepSpec | undefined {
  let index = indexes.get(definition);
  if (!index) {
    index = new Map(definition.steps.map((step) => [step.id, step]));
    indexes.set(definition, index);
  }
  return index.get(id);
}
