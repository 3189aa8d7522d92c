import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { Database } from '@baton/db';
import { EventLogRepository } from '../event-log.repository.js';
import { EventFeed } from './event-feed.service.js';
import { DEFAULT_TAIL_OPTIONS, GlobalSubscriber, GlobalTail, type GlobalTailOptions } from './global-tail.js';
import { parseRunCursor } from './run-cursor.js';
import { RunTreeReader } from './run-tree-reader.js';
import { RunOwnerCache } from './run-owners.js';
import { StreamPump, type PumpOptions, type StreamSink } from './stream-pump.js';
import type { StreamReader } from './stream-reader.js';

const POSITION = /^\d+\.\d+$/;

/** A live subscription; `close()` stops it and ends its sink. */
export interface EventSubscription {
  close(): void;
}

/**
 * Opens exactly-once streams from a cursor for the SSE and WebSocket doors: history first,
 * then live, both read from the log. Tracks open streams so shutdown can end them (an open
 * SSE response would otherwise keep the HTTP server from closing).
 */
@Injectable()
export class EventStreamService implements OnModuleDestroy {
  private readonly pumps = new Set<StreamPump>();
  private readonly globals = new Set<GlobalSubscriber>();
  /** Set at shutdown: a client reconnecting in the gap before the server closes is told to go elsewhere. */
  private stopping = false;
  /** Tests shorten how long a finished run's stream waits for its children. */
  pumpOptions: PumpOptions = {};
  /** The one reader of the global order that every all-runs client shares. */
  readonly globalTail: GlobalTail;

  constructor(
    @Inject(EventLogRepository) private readonly log: EventLogRepository,
    @Inject(EventFeed) private readonly feed: EventFeed,
    @Inject(Database) db: Database,
    @Inject(RunOwnerCache) private readonly owners: RunOwnerCache,
  ) {
    this.globalTail = new GlobalTail(db, log, feed, { ...DEFAULT_TAIL_OPTIONS });
  }

  /** Tests shrink the ring to exercise the hand-over between the table and memory. */
  get globalTailOptions(): GlobalTailOptions {
    return this.globalTail.options;
  }

  /**
   * A run's events and its child runs' after `after` (a RunCursor: `<seq>` or the compound
   * id a previous stream sent; null from the start). Ends after the run's terminal event.
   * Null when the cursor is already past the end. Throws not_found for a run without a log
   * (and, to a caller bound to owner `bound`, for another owner's run) and validation for a
   * malformed cursor.
   */
  async openRun(runId: string, after: string | null, sink: StreamSink, bound?: string): Promise<EventSubscription | null> {
    this.refuseWhileStopping();
    const cursor = parseRunCursor(after ?? '0');
    if (!cursor) throw BatonError.validation([{ path: 'after', message: 'must be an event id sent by this stream (e.g. 12 or 12;7=3)' }]);
    await this.owners.assertReaches(runId, bound);
    const reader = await RunTreeReader.open(this.log, runId, cursor);
    // Nothing can follow the cursor: a reconnect after the end, not a new stream.
    if (reader.done) return null;
    return this.start(reader, sink);
  }

  /**
   * Every run's events after `after` (a position; null from the start), never ending. Served
   * by the shared GlobalTail: from its ring when `after` is recent, from the table until it
   * is otherwise. `bound` (tenancy): only that owner's runs' events are sent.
   */
  openGlobal(after: string | null, types: string[] | null, sink: StreamSink, bound?: string): EventSubscription {
    this.refuseWhileStopping();
    if (after !== null && !POSITION.test(after)) {
      throw BatonError.validation([{ path: 'after', message: 'must be a position sent by the event feed (e.g. 1234.56)' }]);
    }
    const filter = types && types.length > 0 ? new Set(types) : null;
    const target = bound === undefined ? sink : this.owners.filterSink(sink, bound);
    const subscriber = new GlobalSubscriber(this.globalTail, this.log, after, filter, target, (closed) => this.globals.delete(closed));
    this.globals.add(subscriber);
    subscriber.start();
    return { close: () => subscriber.close('closed') };
  }

  /** `after=now`: the current head of the global order, so a new stream skips the history. */
  headPosition(): Promise<string | null> {
    return this.log.globalHead();
  }

  get openStreams(): number {
    return this.pumps.size + this.globals.size;
  }

  onModuleDestroy(): void {
    this.stopping = true;
    for (const pump of [...this.pumps]) pump.close('closed');
    for (const subscriber of [...this.globals]) subscriber.close('closed');
    this.globalTail.shutdown();
  }

  /** A stream opened after shutdown began would never be ended and would hold the server open. */
  private refuseWhileStopping(): void {
    if (this.stopping) throw new BatonError('unavailable', 'this Baton instance is shutting down; reconnect to another');
  }

  private start(reader: StreamReader, sink: StreamSink): EventSubscription {
    const pump = new StreamPump(this.feed, reader, sink, this.pumpOptions, (closed) => this.pumps.delete(closed));
    this.pumps.add(pump);
    pump.start();
    return { close: () => pump.close('closed') };
  }
}
