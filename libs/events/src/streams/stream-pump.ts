import { Logger } from '@nestjs/common';
import { WorkLoop } from '@baton/work';
import type { EventFeed } from './event-feed.service.js';
import type { StreamItem, StreamReader } from './stream-reader.js';

/** Where a pump delivers: an SSE response or a WebSocket subscription. */
export interface StreamSink {
  /** May return a promise to hold the next item back (backpressure). */
  send(item: StreamItem): void | Promise<void>;
  /**
   * Optional: several items in order, as one write (the global feed hands each client a
   * batch at a time). Same contract as `send`; without it, `send` is called per item.
   */
  sendMany?(items: StreamItem[]): void | Promise<void>;
  /** The stream is complete (run finished) or the pump was closed. */
  end(reason: 'finished' | 'closed' | 'error'): void;
}

export interface PumpOptions {
  batchSize?: number;
  /** After the stream's own run finished, how long to wait for child runs to finish too. */
  lingerMs?: number;
}

const RETRY_EMPTY_MS = [25, 50, 100, 200, 400, 800, 1600];

/**
 * Moves events from a reader to a sink. Its reads are the rounds of a `WorkLoop`
 * (libs/work): single-flight, so reads never overlap and items leave in cursor order, and a
 * wake-up during a read makes exactly one more. It has no poll of its own: the `EventFeed`
 * rings every pump on one shared timer.
 */
export class StreamPump {
  private readonly logger = new Logger('StreamPump');
  private readonly loop: WorkLoop;
  private closed = false;
  private retry = 0;
  private retryArmed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly feed: Pick<EventFeed, 'subscribe'>,
    private readonly reader: StreamReader,
    private readonly sink: StreamSink,
    private readonly options: PumpOptions = {},
    private readonly onClosed: (pump: StreamPump) => void = () => undefined,
  ) {
    this.loop = new WorkLoop({
      name: 'stream',
      round: () => this.readOnce(),
      pollMs: 0,
      onError: (error) => {
        this.logger.warn(`stream failed: ${error instanceof Error ? error.message : error}`);
        this.close('error');
      },
    });
  }

  /** Subscribes before the first read, so nothing committed in between is missed. */
  start(): this {
    this.unsubscribe = this.feed.subscribe((runId) => {
      if (runId !== null && !this.reader.wants(runId)) return;
      // A fresh commit: worth a round of retries if the read comes back empty (held back
      // behind an older open transaction). Timer and start-up wakes arm none.
      if (runId !== null) {
        this.retry = 0;
        this.retryArmed = true;
      }
      this.loop.wake();
    });
    this.loop.start();
    return this;
  }

  close(reason: 'finished' | 'closed' | 'error' = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearTimeout(this.retryTimer);
    clearTimeout(this.lingerTimer);
    // Not awaited: close may come from inside a read; stop() lets that read end first.
    void this.loop.stop();
    this.onClosed(this);
    this.sink.end(reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  wake(): void {
    this.loop.wake();
  }

  /** One read and its delivery; true when the reader has more right now. */
  private async readOnce(): Promise<boolean> {
    if (this.closed) return false;
    const { items, more } = await this.reader.read(this.options.batchSize ?? 500);
    for (const item of items) {
      if (this.closed) return false;
      await this.sink.send(item);
    }
    this.afterRead(more);
    return more && !this.closed;
  }

  private afterRead(more: boolean): void {
    if (this.reader.done) return this.close('finished');
    if (this.reader.lingering && !this.lingerTimer) {
      // A child that never finishes (or whose log was pruned) must not hold the stream forever.
      this.lingerTimer = setTimeout(() => this.close('finished'), this.options.lingerMs ?? 10_000);
      this.lingerTimer.unref();
    }
    if (!this.reader.retryWhenEmpty) return;
    // Keep looking, with backoff, for a while after a notification even when this read moved:
    // the notified events may still sit behind an older transaction that commits without
    // events of its own, and so without a NOTIFY to wake us.
    if (this.retry >= RETRY_EMPTY_MS.length) {
      this.retryArmed = false;
    } else if (this.retryArmed && !this.retryTimer && !more) {
      // One retry timer at a time (not a due time per read): a busy stream reads on its
      // notifications, and the backoff only covers the quiet gaps.
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.loop.wake();
      }, RETRY_EMPTY_MS[this.retry++]);
      this.retryTimer.unref();
    }
  }
}
