/** Retry delays never grow past this. */
export const MAX_BACKOFF_MS = 5 * 60 * 1000;
/** One attempt's HTTP request is abandoned after this. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** A claimed delivery belongs to its worker this long; past it another worker may retry it. */
export const LEASE_MS = REQUEST_TIMEOUT_MS + 20_000;

/**
 * The wait before attempt `attempt + 1` after `attempt` failed: `initialMs * 2^(attempt-1)`,
 * capped, with "equal jitter" (half fixed, half random) so that many deliveries failing
 * together against one receiver do not come back together.
 */
export function retryDelayMs(attempt: number, initialMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_BACKOFF_MS, initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/** What a failed attempt leads to: another try, or giving up. */
export function afterFailure(attempts: number, maxAttempts: number): 'failed' | 'dead' {
  return attempts >= maxAttempts ? 'dead' : 'failed';
}

/**
 * Whether a failed attempt says the receiver is down rather than that this delivery was
 * refused: no answer (connection refused or reset, timeout), a 5xx, 408 or 429. Then the
 * whole destination is backed off. A render failure never reached the receiver.
 */
export function blamesDestination(result: { ok: boolean; statusCode: number | null; error: string | null; sent?: boolean }): boolean {
  if (result.ok || result.sent === false) return false;
  const status = result.statusCode;
  return status === null || status >= 500 || status === 408 || status === 429;
}
