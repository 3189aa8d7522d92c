import { AgentCallError } from '../agent.types.js';

/**
 * Turns an aborted signal into the error a caller can act on. `AbortSignal.timeout` aborts
 * with a `TimeoutError`, and `AbortSignal.any` keeps the reason of whichever source fired, so
 * the reason tells a deadline (worth retrying) from a caller giving up (not worth it).
 */
export function abortedCallError(signal: AbortSignal, what = 'agent call'): AgentCallError {
  if (isTimeoutReason(signal.reason)) {
    return new AgentCallError(`${what} timed out`, true, 'timeout');
  }
  return new AgentCallError(`${what} was cancelled`, false, 'cancelled');
}

export function isTimeoutReason(reason: unknown): boolean {
  return (reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

/** Waits `ms`, rejecting with the classified abort error as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortedCallError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedCallError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
