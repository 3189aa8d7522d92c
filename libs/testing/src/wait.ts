import { LOAD_SENSITIVE } from './load-bound.js';

/**
 * Polls `check` until it returns a truthy value or the deadline passes. Running out of time
 * is a wall-clock failure (see load-bound.ts): a condition that never comes fails again when
 * `.ci/run` runs the suite once more; one that came late on a loaded machine does not.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 15_000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${LOAD_SENSITIVE} timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
