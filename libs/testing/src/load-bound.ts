/**
 * Wall-clock bounds in tests. A few tests guard against a freeze, a missed wake-up or a hang
 * that only a clock can show (a /health answer that never comes, a long poll that waits out
 * its recheck). Their bounds sit far from the failure they catch, but a shared CI machine
 * under load can still cross one with nothing wrong. Such a failure carries LOAD_SENSITIVE in
 * its message, so `.ci/run` can tell it from a behavioural failure and run that suite once
 * more: a real regression fails twice, a load blip does not. Everything else a test asserts
 * is structural and is never retried.
 */
export const LOAD_SENSITIVE = '[load-sensitive bound]';

/** Fails (marked LOAD_SENSITIVE) when `tookMs` is not below `boundMs`. */
export function expectWithinBound(what: string, tookMs: number, boundMs: number): void {
  if (tookMs < boundMs) return;
  throw new Error(`${LOAD_SENSITIVE} ${what}: took ${Math.round(tookMs)} ms, bound ${boundMs} ms`);
}

/** The milliseconds since `startedAt` (a Date.now() value), for expectWithinBound. */
export function since(startedAt: number): number {
  return Date.now() - startedAt;
}
