import { rollbackOnFailure, transitiveDependents } from './compensation-planner.service.js';

describe('compensation planning', () => {
  it('finds every step downstream of each step, directly or not', () => {
    // a → b → d, a → c → d, e alone (specs in topological order)
    const steps = [
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['a'] },
      { id: 'e', dependsOn: [] },
      { id: 'd', dependsOn: ['b', 'c'] },
    ];
    const downstream = transitiveDependents(steps);
    expect([...downstream.get('a')!].sort()).toEqual(['b', 'c', 'd']);
    expect([...downstream.get('b')!]).toEqual(['d']);
    expect([...downstream.get('d')!]).toEqual([]);
    expect([...downstream.get('e')!]).toEqual([]);
  });

  it('reads on_failure only from the normalized rollback setting', () => {
    expect(rollbackOnFailure({ onFailure: 'compensate' })).toBe('compensate');
    expect(rollbackOnFailure({ strategy: 'compensate', steps: ['a'] })).toBeUndefined();
    expect(rollbackOnFailure(undefined)).toBeUndefined();
  });
});
