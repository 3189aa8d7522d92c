/**
 * In-process wake-ups by key, with a timeout: the fast path when the other side of a wait
 * runs in this process. Waiters always re-check the database afterwards, and the timeout
 * covers work done by another instance.
 */
export class Wakeups<K> {
  private readonly waiters = new Map<K, Set<() => void>>();

  wake(key: K): void {
    const waiting = this.waiters.get(key);
    if (!waiting) return;
    this.waiters.delete(key);
    for (const resolve of waiting) resolve();
  }

  /** Resolves on `wake(key)`, after `ms`, or when `signal` aborts, whichever comes first. */
  next(key: K, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.waiters.get(key) ?? new Set<() => void>();
      this.waiters.set(key, waiting);
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiting.delete(done);
        if (waiting.size === 0 && this.waiters.get(key) === waiting) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
      waiting.add(done);
    });
  }
}
