import { Logger } from '@nestjs/common';
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
 * Moves events from a reader to a sink, one read at a time: a wake-up while reading only
 * marks the pump dirty, so reads never overlap and items leave in cursor order.
 */
export class StreamPump {
  private readonly logger = new Logger('StreamPump');
  private dirty = false;
  private busy = false;
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
  ) {}

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
      this.wake();
    });
    this.wake();
    return this;
  }

  close(reason: 'finished' | 'closed' | 'error' = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearTimeout(this.retryTimer);
    clearTimeout(this.lingerTimer);
    this.onClosed(this);
    this.sink.end(reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  wake(): void {
    this.dirty = true;
    if (!this.busy && !this.closed) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        const { items, more } = await this.reader.read(this.options.batchSize ?? 500);
        for (const item of items) {
          if (this.closed) return;
          await this.sink.send(item);
        }
        if (more) this.dirty = true;
        this.afterRead();
      }
    } catch (error) {
      if (!this.closed) this.logger.warn(`stream failed: ${error instanceof Error ? error.message : error}`);
      this.close('error');
    } finally {
      this.busy = false;
    }
  }

  private afterRead(): void {
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
    } else if (this.retryArmed && !this.retryTimer && !this.dirty) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.wake();
      }, RETRY_EMPTY_MS[this.retry++]);
      this.retryTimer.unref();
    }
  }
}
