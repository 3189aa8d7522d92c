/** Why in-flight work was aborted. */
export type AbortReason = 'lease_lost' | 'shutdown' | 'stopped';

export interface LeasedWorkOptions<T> {
  /** Extends the leases of these ids; resolves the ids still held (the others were lost). */
  renew(ids: string[]): Promise<Set<string>>;
  /** Hands one item back at shutdown (due again, attempt not spent). */
  release(item: T): Promise<unknown>;
  /** How often `renew` runs while anything is in flight. */
  renewEveryMs: number;
  /** A renewal that threw (e.g. the database is down): leases are kept, tried again next time. */
  onError?(error: unknown): void;
}

interface Entry<T> {
  item: T;
  abort: AbortController;
  done: Promise<unknown>;
}

/**
 * The work a process holds under leases: each item has an AbortController, its lease is
 * renewed on a timer (an item whose lease was lost is aborted with `lease_lost`), and
 * `shutdown(graceMs)` lets items finish for a grace, then aborts the rest with `shutdown`
 * and releases them, so another instance takes them over at once instead of after expiry.
 */
export class LeasedWork<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: LeasedWorkOptions<T>) {
    this.timer = setInterval(() => void this.renewNow(), options.renewEveryMs);
    this.timer.unref();
  }

  /** Runs `work` under the lease of `id`; the signal aborts it when the lease is lost or at shutdown. */
  run(id: string, item: T, work: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> {
    const abort = new AbortController();
    let started: Promise<unknown>;
    try {
      // Called at once (not on a later tick), so the work sees an abort that follows this call.
      started = Promise.resolve(work(abort.signal));
    } catch (error) {
      started = Promise.reject(error);
    }
    const done = started.finally(() => {
      if (this.entries.get(id)?.abort === abort) this.entries.delete(id);
    });
    this.entries.set(id, { item, abort, done });
    return done;
  }

  /** True while `id` is held here. */
  has(id: string): boolean {
    return this.entries.has(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Aborts the in-flight items that match (e.g. the steps of a run that ended). */
  abortWhere(match: (item: T) => boolean, reason: AbortReason | string): number {
    let n = 0;
    for (const entry of this.entries.values()) {
      if (match(entry.item)) {
        entry.abort.abort(reason);
        n++;
      }
    }
    return n;
  }

  /**
   * One renewal now: aborts with `lease_lost` whatever is no longer held, and resolves how
   * many were lost; null when the renewal could not be made (every lease is kept).
   */
  async renewNow(): Promise<number | null> {
    const ids = [...this.entries.keys()];
    if (ids.length === 0) return 0;
    let held: Set<string>;
    try {
      held = await this.options.renew(ids);
    } catch (error) {
      this.options.onError?.(error);
      return null;
    }
    let lost = 0;
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry && !held.has(id)) {
        entry.abort.abort('lease_lost' satisfies AbortReason);
        lost++;
      }
    }
    return lost;
  }

  /** Waits up to `graceMs` for in-flight items, then aborts and releases the rest. */
  async shutdown(graceMs: number): Promise<number> {
    clearInterval(this.timer);
    const pending = [...this.entries.values()].map((entry) => entry.done.catch(() => undefined));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(pending), grace]);
    clearTimeout(timer);
    const left = [...this.entries.values()];
    for (const entry of left) {
      entry.abort.abort('shutdown' satisfies AbortReason);
      await Promise.resolve(this.options.release(entry.item)).catch(() => undefined);
    }
    return left.length;
  }
}
