import type { Database } from '@baton/db';

/** Due times a loop remembers; more than this (a huge retry backlog) are left to the poll. */
const MAX_DUE_TIMES = 1_000;
/** Due times this close together are one wake-up. */
const DUE_FOLD_MS = 5;

export interface WorkLoopOptions {
  /** For logs. */
  name: string;
  /** One round of work; resolve true when more may be waiting (the loop goes again at once). */
  round(): Promise<boolean>;
  /**
   * The slow safety-net poll: catches what every wake-up missed (another instance, an outage).
   * 0: no poll of its own (an owner that already rings every loop on one shared timer).
   */
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
  /** Remembered due times, ascending. */
  private readonly dues: number[] = [];
  private current: Promise<void> | null = null;
  private again = false;
  private scheduled = false;
  private stopped = true;
  private readonly unlisten: Array<() => Promise<void>> = [];

  constructor(private readonly options: WorkLoopOptions) {}

  /** Starts the poll and runs a first round. */
  start(): void {
    this.stopped = false;
    if (this.options.pollMs > 0) {
      this.pollTimer = setInterval(() => this.wake(), this.options.pollMs);
      this.pollTimer.unref();
    }
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

  /**
   * Wakes at `at` (a retry's backoff, a deadline). Every time given is remembered, up to
   * MAX_DUE_TIMES (past that the latest are dropped: the poll catches them); one timer is
   * armed for the earliest, and re-armed for the next when it fires.
   */
  dueAt(at: Date | number | null): void {
    if (at === null || this.stopped) return;
    const ms = typeof at === 'number' ? at : at.getTime();
    let i = this.dues.length;
    while (i > 0 && this.dues[i - 1]! > ms) i--;
    // A time just before a remembered one wakes with it (a burst of retries is one wake-up);
    // never fold into an earlier time, which would wake before this one is due.
    if ((i > 0 && this.dues[i - 1] === ms) || (i < this.dues.length && this.dues[i]! - ms < DUE_FOLD_MS)) return;
    this.dues.splice(i, 0, ms);
    if (this.dues.length > MAX_DUE_TIMES) this.dues.pop();
    if (i === 0) this.armDue();
  }

  private armDue(): void {
    clearTimeout(this.dueTimer);
    const next = this.dues[0];
    if (next === undefined || this.stopped) return;
    this.dueTimer = setTimeout(() => {
      const now = Date.now();
      // A timer can fire a little before Date.now() reaches its time (libuv measures from
      // the loop's cached clock): then nothing is due yet, and a round now would find nothing
      // to claim. Arm again for the rest instead of waking twice.
      if (this.dues[0]! > now) return this.armDue();
      while (this.dues.length > 0 && this.dues[0]! <= now) this.dues.shift();
      this.wake();
      this.armDue();
    }, Math.max(0, next - Date.now()));
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
    this.dues.length = 0;
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
