import type { BackoffPolicy } from '@baton/definitions';

/**
 * Delay before attempt `attempt + 1`: exponential from `initialMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so that steps failing together do not retry in
 * lockstep while each still waits at least half the nominal delay.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const nominal = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.multiplier, Math.max(attempt - 1, 0)));
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
