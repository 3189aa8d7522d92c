import { backoffDelay } from './retry-policy.js';

const policy = { initialMs: 100, multiplier: 2, maxMs: 1000 };

describe('backoffDelay', () => {
  it('grows exponentially with the attempt number', () => {
    const fixed = () => 1;
    expect([1, 2, 3, 4].map((a) => backoffDelay(policy, a, fixed))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the cap', () => {
    expect(backoffDelay(policy, 10, () => 1)).toBe(1000);
    expect(backoffDelay(policy, 50, () => 1)).toBe(1000);
  });

  it('jitters between half and all of the nominal delay', () => {
    expect(backoffDelay(policy, 3, () => 0)).toBe(200);
    const samples = Array.from({ length: 200 }, () => backoffDelay(policy, 3));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...samples)).toBeLessThanOrEqual(400);
    expect(new Set(samples).size).toBeGreaterThan(10);
  });
});
