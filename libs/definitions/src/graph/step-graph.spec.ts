import { describeCycle, planGraph, type GraphNode } from './step-graph.js';
import { areUpstream } from './upstream.js';

const node = (id: string, ...dependsOn: string[]): GraphNode => ({ id, dependsOn });

describe('planGraph', () => {
  it('orders dependencies first, keeping declaration order among ready steps', () => {
    const result = planGraph([node('report', 'a', 'b'), node('a', 'root'), node('root'), node('b', 'root')]);
    expect(result.ok && result.plan.order).toEqual(['root', 'a', 'b', 'report']);
  });

  it('maps dependents and finds the sinks', () => {
    const result = planGraph([node('a'), node('b', 'a'), node('c', 'a'), node('d', 'b')]);
    if (!result.ok) throw new Error('expected a plan');
    expect(result.plan.dependents.get('a')).toEqual(['b', 'c']);
    expect(result.plan.dependents.get('d')).toEqual([]);
    expect(result.plan.sinks).toEqual(['c', 'd']);
  });

  it('names a cycle in flow order starting from the earliest-declared step', () => {
    // b needs a, c needs b, a needs c: a -> b -> c -> a
    const result = planGraph([node('start'), node('a', 'c', 'start'), node('b', 'a'), node('c', 'b'), node('after', 'c')]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.cycles).toEqual([['a', 'b', 'c']]);
    expect(describeCycle(result.cycles[0]!)).toBe('cycle: a -> b -> c -> a');
  });

  it('reports each disjoint cycle once', () => {
    const result = planGraph([node('x', 'y'), node('y', 'x'), node('p', 'q'), node('q', 'p'), node('r', 'x', 'p')]);
    expect(!result.ok && result.cycles).toEqual([['x', 'y'], ['p', 'q']]);
  });

  it('collapses duplicate edges so a repeated dependency does not block the order', () => {
    const result = planGraph([node('a'), node('b', 'a', 'a')]);
    expect(result.ok && result.plan.order).toEqual(['a', 'b']);
  });
});

describe('areUpstream', () => {
  it('answers direct and transitive ancestry, and refuses siblings and descendants', () => {
    // 0 -> 1 -> 2, 0 -> 3
    const deps = [[], [0], [1], [0]];
    const order = [0, 1, 3, 2];
    const queries = [
      { step: 2, target: 1 },
      { step: 2, target: 0 },
      { step: 2, target: 3 },
      { step: 0, target: 2 },
    ];
    expect(areUpstream(order, deps, queries)).toEqual([true, true, false, false]);
  });

  it('stays correct past one bitset chunk of distinct targets', () => {
    // A chain of 3000 steps; every step asks about a step two or more places back.
    const n = 3000;
    const deps = Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1]));
    const order = deps.map((_, i) => i);
    const queries = Array.from({ length: n - 2 }, (_, i) => ({ step: i + 2, target: i }));
    queries.push({ step: 5, target: 2999 });
    const answers = areUpstream(order, deps, queries);
    expect(answers.slice(0, -1).every(Boolean)).toBe(true);
    expect(answers[answers.length - 1]).toBe(false);
  });
});
