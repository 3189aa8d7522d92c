import { afterFailure, blamesDestination, MAX_BACKOFF_MS, retryDelayMs } from './delivery-policy.js';

describe('delivery retry policy', () => {
  it('doubles from the initial delay, with up to half of it random', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, () => 1)).toBe(4000);
    expect(retryDelayMs(3, 1000, () => 0)).toBe(2000);
  });

  it('never waits longer than five minutes', () => {
    expect(retryDelayMs(40, 1000, () => 1)).toBe(MAX_BACKOFF_MS);
  });

  it('gives up after the last allowed attempt', () => {
    expect(afterFailure(7, 8)).toBe('failed');
    expect(afterFailure(8, 8)).toBe('dead');
  });

  it('blames the destination for no answer, 5xx, 408 and 429, not for other refusals or local failures', () => {
    const failed = (statusCode: number | null, sent?: boolean) => ({ ok: false, statusCode, error: 'x', sent });
    expect([null, 500, 503, 408, 429].map((code) => blamesDestination(failed(code)))).toEqual([true, true, true, true, true]);
    expect([400, 401, 404, 410].map((code) => blamesDestination(failed(code)))).toEqual([false, false, false, false]);
    expect(blamesDestination(failed(null, false))).toBe(false);
    expect(blamesDestination({ ok: true, statusCode: 200, error: null })).toBe(false);
  });
});
