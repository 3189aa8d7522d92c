import { decideOverlap } from './overlap.js';

describe('overlap policies', () => {
  it('starts when nothing of the schedule is running, whatever the policy', () => {
    for (const policy of ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'allow_all'] as const) {
      expect(decideOverlap(policy, 0, 0)).toBe('start');
    }
  });
  it('skip drops, buffer_one keeps one, buffer_all keeps all, cancel_other replaces, allow_all runs alongside', () => {
    expect(decideOverlap('skip', 1, 0)).toBe('skip');
    expect(decideOverlap('buffer_one', 1, 0)).toBe('buffer');
    expect(decideOverlap('buffer_one', 1, 1)).toBe('skip');
    expect(decideOverlap('buffer_all', 1, 5)).toBe('buffer');
    expect(decideOverlap('cancel_other', 1, 0)).toBe('cancel_and_start');
    expect(decideOverlap('allow_all', 3, 0)).toBe('start');
  });
});
