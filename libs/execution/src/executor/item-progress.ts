import type { ItemsProgressData } from '@baton/events';

type Report = Omit<ItemsProgressData, 'attempt'>;

/**
 * Collects a for_each step's item starts and ends and reports them at most once per
 * `intervalMs` (the first report only after `intervalMs`, so quick fan-outs write nothing),
 * and at once when an item fails, so the failing item is on record before the step's own
 * failure. Reports never fail the step: a lost one only makes the dashboard less precise.
 */
export class ItemProgress {
  private readonly running = new Set<number>();
  private completed: number[] = [];
  private failed: Report['failed'] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastReport = Date.now();
  private closed = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly total: number,
    private readonly report: (progress: Report) => Promise<unknown>,
    private readonly intervalMs = 500,
  ) {}

  started(index: number): void {
    this.running.add(index);
    this.schedule();
  }

  finished(index: number, error?: unknown): void {
    if (this.closed) return;
    this.running.delete(index);
    if (error === undefined) {
      this.completed.push(index);
      return this.schedule();
    }
    this.failed.push({ index, message: error instanceof Error ? error.message : String(error) });
    void this.flush();
  }

  /** The step is over: no more reports; when it failed, the last items are flushed first. */
  async close(flushPending: boolean): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (flushPending && (this.completed.length > 0 || this.failed.length > 0)) await this.flush();
    this.closed = true;
    await this.chain;
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    const wait = Math.max(0, this.lastReport + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  /** One report at a time, in order: each carries what finished since the one before. */
  private flush(): Promise<unknown> {
    if (this.closed) return this.chain;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const progress: Report = { total: this.total, running: [...this.running].sort((a, b) => a - b), completed: this.completed, failed: this.failed };
    this.completed = [];
    this.failed = [];
    this.lastReport = Date.now();
    this.chain = this.chain.then(() => this.report(progress)).catch(() => undefined);
    return this.chain;
  }
}
