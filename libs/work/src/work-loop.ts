import type { Database } from '@baton/db';

export interface WorkLoopOptions {
  /** For logs. */
  name: string;
  /** One round of work; resolve true when more may be waiting (the loop goes again at once). */
  round(): Promise<boolean>;
  /** The slow safety-net poll: catches what every wake-up missed (another instance, an outage). */
  pollMs: number;
  /** A wake-up waits this long so a burst folds into one round; 0: the next turn of the event loop. */
  coalesceMs?: number;
  /** A round that threw (the loop carries on at the next wake-up). */
  onError?(error: unknown): void;
}

/**
 * One background loop: single-flight (never two rounds at once; a wake-up during a round
 * makes exactly one more), woken by `wake()` (in-process events), by NOTIFY on the channels
 * it `listen`s to, by a due-time timer (`dueAt`) and by a slow poll. `stop()` waits for the
 * round under way, so a round never runs against a closed database.
 */
export class WorkLoop {
  private pollTimer: NodeJS.Timeout | undefined;
  private coalesceTimer: NodeJS.Timeout | undefined;
  private dueTimer: NodeJS.Timeout | undefined;
  private dueAtMs = Number.POSITIVE_INFINITY;
  private current: Promise<void> | null = null;
  private again = false;
  private scheduled = false;
  private stopped = true;
  private readonly unlisten: Array<() => Promise<void>> = [];

  constructor(private readonly options: WorkLoopOptions) {}

  /** Starts the poll and runs a first round. */
  start(): void {
    this.stopped = false;
    this.pollTimer = setInterval(() => this.wake(), this.options.pollMs);
    this.pollTimer.unref();
    this.wake();
  }

  /** Wakes on every NOTIFY on `channel` whose payload passes `accept`. */
  async listen(db: Database, channel: string, accept: (payload: string) => boolean = () => true): Promise<void> {
    this.unlisten.push(await db.listen(channel, (payload) => accept(payload) && this.wake()));
  }

  /** Asks for a round. Wake-ups before it starts fold into one; one during a round makes one more. */
  wake(): void {
    if (this.stopped) return;
    if (this.current) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    const go = () => {
      this.coalesceTimer = undefined;
      this.scheduled = false;
      if (this.stopped) return;
      if (this.current) this.again = true;
      else this.current = this.drain();
    };
    const ms = this.options.coalesceMs ?? 0;
    if (ms > 0) this.coalesceTimer = setTimeout(go, ms);
    else setImmediate(go);
  }

  /** Wakes at `at` (the next due retry, deadline, ...) unless an earlier time is already set. */
  dueAt(at: Date | number | null): void {
    if (at === null || this.stopped) return;
    const ms = typeof at === 'number' ? at : at.getTime();
    if (ms >= this.dueAtMs) return;
    clearTimeout(this.dueTimer);
    this.dueAtMs = ms;
    this.dueTimer = setTimeout(() => {
      this.dueAtMs = Number.POSITIVE_INFINITY;
      this.wake();
    }, Math.max(0, ms - Date.now()));
    this.dueTimer.unref();
  }

  /** True while a round runs. */
  get busy(): boolean {
    return this.current !== null;
  }

  /** Stops the timers and the LISTENs and waits for the round under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.coalesceTimer);
    clearTimeout(this.dueTimer);
    for (const unlisten of this.unlisten.splice(0)) await unlisten().catch(() => undefined);
    await this.current;
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          if (await this.options.round()) this.again = true;
        } catch (error) {
          if (!this.stopped) this.options.onError?.(error);
        }
        // Let HTTP requests in between rounds of a backlog.
        if (this.again && !this.stopped) await new Promise((resolve) => setImmediate(resolve));
      } while (this.again && !this.stopped);
    } finally {
      this.current = null;
    }
  }
}
