import type { LoopSpec, TemplateContext } from '@baton/definitions';
import { nextAfterIteration, skippedByUpstream } from './control-flow.js';

const bySkip = (status: string, skipReason: string | null = null) => ({ output: null, status, skipReason });

describe('skippedByUpstream', () => {
  const steps: TemplateContext['steps'] = {
    a: bySkip('skipped', 'condition'),
    b: bySkip('skipped', 'condition'),
    c: bySkip('completed'),
    d: bySkip('skipped'), // skipped after failures (allow_skip): not a condition
  };

  it('skips a step whose dependencies were all skipped by a condition', () => {
    expect(skippedByUpstream(['a'], steps)).toBe(true);
    expect(skippedByUpstream(['a', 'b'], steps)).toBe(true);
  });

  it('runs a merge step with at least one completed dependency', () => {
    expect(skippedByUpstream(['a', 'c'], steps)).toBe(false);
  });

  it('does not propagate skips after failures, nor skip a root step', () => {
    expect(skippedByUpstream(['d'], steps)).toBe(false);
    expect(skippedByUpstream(['a', 'd'], steps)).toBe(false);
    expect(skippedByUpstream([], steps)).toBe(false);
  });
});

describe('nextAfterIteration', () => {
  const loop = (onMax: LoopSpec['onMax']): LoopSpec => ({ until: 'steps.s.output.ok', maxIterations: 3, onMax });

  it('ends the step when until holds, whatever the iteration', () => {
    expect(nextAfterIteration(loop('fail'), 1, true, 1)).toEqual({ complete: true });
    expect(nextAfterIteration(loop('fail'), 3, true, 3)).toEqual({ complete: true });
  });

  it('queues the next iteration below max_iterations', () => {
    expect(nextAfterIteration(loop('fail'), 1, false, 1)).toEqual({ next: true });
    expect(nextAfterIteration(loop('complete'), 2, false, 2)).toEqual({ next: true });
  });

  it('at max_iterations fails (non-retryable) or completes as on_max says', () => {
    const failed = nextAfterIteration(loop('fail'), 3, false, 3);
    expect(failed).toMatchObject({ fail: { code: 'loop_max_iterations', retryable: false, details: { iteration: 3 } } });
    expect(nextAfterIteration(loop('complete'), 3, false, 3)).toEqual({ complete: true });
  });
});
