/**
 * Generates a large layered random DAG definition for scale tests and measurements: each
 * layer's steps depend on 1-3 steps of the layer before (fan-in) and each earlier step feeds
 * several later ones (fan-out). Every step references one direct dependency, and every
 * tenth also a step several layers up (through a dependency chain that guarantees it is an
 * ancestor), so the transitive upstream check does real work. Deterministic (seeded).
 */
export function layeredDagDefinition(stepCount: number, width = 50, seed = 42): Record<string, unknown> {
  let state = seed;
  const random = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const layers: string[][] = [];
  const parentOf = new Map<string, string>();
  const steps: Array<Record<string, unknown>> = [];
  for (let i = 0; i < stepCount; i++) {
    const layer = Math.floor(i / width);
    const id = `s${i}`;
    (layers[layer] ??= []).push(id);
    const previous = layers[layer - 1];
    const deps = previous ? [...new Set(Array.from({ length: 1 + random(3) }, () => previous[random(previous.length)]!))] : [];
    const input: Record<string, unknown> = { n: i };
    if (deps[0]) {
      parentOf.set(id, deps[0]);
      input.direct = `{{ steps.${deps[0]}.output.value }}`;
    }
    if (i % 10 === 0) {
      // Walk up the first-dependency chain a few layers: always a true ancestor.
      let ancestor = deps[0];
      for (let hops = 0; ancestor && hops < 1 + random(20); hops++) ancestor = parentOf.get(ancestor) ?? ancestor;
      if (ancestor) input.far = `value {{ steps.${ancestor}.output }}`;
    }
    steps.push({ id, agent: 'builtin:echo', depends_on: deps, input });
  }
  return { name: `dag-${stepCount}`, version: '1', steps };
}
