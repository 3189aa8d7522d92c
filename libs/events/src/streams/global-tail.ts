import { Logger } from '@nestjs/common';
import type { Database } from '@baton/db';
import type { EventLogRepository } from '../event-log.repository.js';
import type { EventFeed } from './event-feed.service.js';
import { GlobalReader } from './global-reader.js';
import { StreamPump, type StreamSink } from './stream-pump.js';
import { presentedJson, type StreamItem } from './stream-reader.js';

/**
 * A global position as a comparable pair. Positions are `<txid>.<id>`, totally ordered by
 * (txid, id); null (the start of the log) is (0, 0), before every event.
 */
export type PositionKey = readonly [bigint, bigint];

export function positionKey(position: string | null): PositionKey {
  if (position === null) return [0n, 0n];
  const dot = position.indexOf('.');
  return [BigInt(position.slice(0, dot)), BigInt(position.slice(dot + 1))];
}

export function comparePositions(a: PositionKey, b: PositionKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}

export interface GlobalTailOptions {
  /** The ring keeps at most this many recent events... */
  maxEvents: number;
  /** ...and at most about this many bytes of their JSON. */
  maxBytes: number;
  /** Rows per read, for the tail and for a subscriber catching up on the table. */
  batchSize: number;
  /** With no subscriber left, the tail keeps reading this long before it stops. */
  idleStopMs: number;
  /**
   * Bells within this window become one read (0: read on every bell, one read at a time).
   * Fewer, larger batches mean fewer writes per client; the price is up to this much lag.
   */
  coalesceMs: number;
}

export const DEFAULT_TAIL_OPTIONS: GlobalTailOptions = {
  maxEvents: 10_000,
  maxBytes: 8 * 1024 * 1024,
  batchSize: 1000,
  idleStopMs: 30_000,
  coalesceMs: 5,
};

interface Entry {
  item: StreamItem;
  key: PositionKey;
  bytes: number;
}

/** Entries served from memory before a subscriber yields the event loop to the others. */
const SLICE = 1000;

/**
 * One reader of the global order per process, shared by every client of the all-runs feed
 * (SSE `/api/v1/events`, the WebSocket all-runs subscription).
 *
 * The tail starts at the newest position below the oldest running transaction (so it never
 * reads history nobody asked for) and tails `listGlobalAfter` with one StreamPump: the feed's
 * bells coalesce into one read at a time whatever the number of clients. What it reads goes
 * into a bounded ring (the last `maxEvents` events, at most ~`maxBytes` of their JSON); each
 * event is presented and serialized once there, and every subscriber is woken once per batch.
 *
 * The ring always holds exactly the events in (floor, head]: it is filled by one reader
 * moving forward from `floor`, and evicting the oldest entry moves `floor` to that entry's
 * position. So a subscriber whose cursor is >= floor is served from memory (entries after its
 * cursor); one behind the floor (it resumed from old history, or fell out of the ring while
 * slow) reads the table itself from its cursor until its cursor is >= floor again. Because
 * every read of the global order is an exact prefix of one total order, comparing positions
 * is all the hand-over needs: nothing at or before a subscriber's cursor is sent again, and
 * nothing after it is skipped.
 */
export class GlobalTail {
  private readonly logger = new Logger('GlobalTail');
  private readonly subscribers = new Set<GlobalSubscriber>();
  private entries: Entry[] = [];
  /** Absolute number of entries[0]: subscribers hold absolute numbers across evictions. */
  private dropped = 0;
  private bytes = 0;
  /** Everything after this position and up to the newest entry is in the ring; null = not started. */
  private floorKey: PositionKey | null = null;
  private pump: StreamPump | undefined;
  private generation = 0;
  private starting = false;
  private fanoutQueued = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Reads of the global order: the tail's own, and subscribers' catching up on the table. */
  reads = 0;
  tableReads = 0;
  /** Times a subscriber lost its place in the ring (evicted while it was slow). */
  fellBehind = 0;

  constructor(
    private readonly db: Database,
    private readonly log: EventLogRepository,
    private readonly feed: EventFeed,
    readonly options: GlobalTailOptions,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get running(): boolean {
    return this.floorKey !== null;
  }

  add(subscriber: GlobalSubscriber): void {
    this.subscribers.add(subscriber);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!this.pump && !this.starting) void this.start();
  }

  remove(subscriber: GlobalSubscriber): void {
    if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.options.idleStopMs);
    this.idleTimer.unref();
  }

  /** Stops reading and forgets the ring; subscribers still open are ended as closed. */
  shutdown(): void {
    for (const subscriber of [...this.subscribers]) subscriber.close('closed');
    this.stop();
  }

  /**
   * Where a subscriber at `key` continues in the ring: the absolute number of the first entry
   * after `key` (possibly one past the newest), or null when the ring does not cover `key`.
   */
  seek(key: PositionKey): number | null {
    if (!this.floorKey || comparePositions(key, this.floorKey) < 0) return null;
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePositions(this.entries[mid]!.key, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return this.dropped + lo;
  }

  /** The entry with absolute number `n`, undefined when evicted or not read yet. */
  entryAt(n: number): Entry | undefined {
    return this.entries[n - this.dropped];
  }

  /** Whether `n` has been evicted (as opposed to not read yet). */
  evicted(n: number): boolean {
    return n < this.dropped;
  }

  private async start(): Promise<void> {
    this.starting = true;
    const generation = ++this.generation;
    try {
      // The newest position below the oldest running transaction: everything that can still
      // turn up in the global order lies after it (one backward step on the (tx_id, id) index).
      const { rows } = await this.db.query<{ position: string }>(
        `select tx_id::text || '.' || id as position from orchestration_events
          where tx_id < pg_snapshot_xmin(pg_current_snapshot())
          order by tx_id desc, id desc limit 1`,
      );
      if (generation !== this.generation) return;
      const start = rows[0]?.position ?? null;
      this.floorKey = positionKey(start);
      const reader = new GlobalReader(this.log, start, null);
      const read = reader.read.bind(reader);
      reader.read = (limit) => {
        this.reads++;
        return read(limit);
      };
      const sink: StreamSink = {
        send: (item) => this.push(item),
        end: (reason) => {
          if (reason === 'error' && generation === this.generation) this.fail();
        },
      };
      this.pump = new StreamPump(this.coalescedFeed(), reader, sink, { batchSize: this.options.batchSize }).start();
      this.queueFanout(); // subscribers waiting on the table can now check the ring
    } catch (error) {
      if (generation !== this.generation) return;
      this.logger.warn(`global tail failed to start: ${error instanceof Error ? error.message : error}`);
      this.fail();
    } finally {
      if (generation === this.generation) this.starting = false;
    }
  }

  /**
   * The feed as the tail's pump sees it: a burst of bells (every appended event rings the
   * in-process emitter, and each commit NOTIFYs) rings once, `coalesceMs` after the first.
   */
  private coalescedFeed(): Pick<EventFeed, 'subscribe'> {
    return {
      subscribe: (listener) => {
        let timer: NodeJS.Timeout | undefined;
        let pending: string | null | undefined;
        const unsubscribe = this.feed.subscribe((runId) => {
          if (this.options.coalesceMs <= 0) return listener(runId);
          // A named run wins over an anonymous tick: it arms the pump's retries.
          pending = pending ?? runId;
          if (runId !== null) pending = runId;
          timer ??= setTimeout(() => {
            timer = undefined;
            const ring = pending ?? null;
            pending = undefined;
            listener(ring);
          }, this.options.coalesceMs);
        });
        return () => {
          clearTimeout(timer);
          unsubscribe();
        };
      },
    };
  }

  private stop(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.generation++;
    this.starting = false;
    const pump = this.pump;
    this.pump = undefined;
    pump?.close('closed');
    // Numbers keep growing across restarts, so a stale one can only read as evicted.
    this.dropped += this.entries.length;
    this.entries = [];
    this.bytes = 0;
    this.floorKey = null;
  }

  /** The shared read failed: its subscribers end with an error (clients resume by cursor). */
  private fail(): void {
    for (const subscriber of [...this.subscribers]) subscriber.close('error');
    this.stop();
  }

  private push(item: StreamItem): void {
    const bytes = presentedJson(item).length;
    this.entries.push({ item, key: positionKey(item.event.position), bytes });
    this.bytes += bytes;
    this.queueFanout();
  }

  /** One wake per subscriber per batch: the pump hands a batch over in one synchronous run. */
  private queueFanout(): void {
    if (this.fanoutQueued) return;
    this.fanoutQueued = true;
    queueMicrotask(() => {
      this.fanoutQueued = false;
      this.evict();
      for (const subscriber of this.subscribers) subscriber.wake();
    });
  }

  private evict(): void {
    let n = 0;
    let bytes = this.bytes;
    // Keep at least the newest entry, whatever its size.
    while (this.entries.length - n > 1 && (this.entries.length - n > this.options.maxEvents || bytes > this.options.maxBytes)) {
      bytes -= this.entries[n]!.bytes;
      n++;
    }
    if (n === 0) return;
    this.floorKey = this.entries[n - 1]!.key;
    this.entries.splice(0, n);
    this.dropped += n;
    this.bytes = bytes;
  }
}

/**
 * One client of the global feed: a cursor, a type filter and a sink. Served from the tail's
 * ring while its cursor is inside it, from its own table reads while it is behind.
 *
 * Backpressure: a subscriber holds no queue of its own. It moves through the shared ring at
 * the pace its sink accepts (the sink's promise holds it; the tail never waits for anyone),
 * so a slow client costs nothing but its place in the ring. If it falls behind the ring's
 * floor it reads the table from its cursor, at its own pace, until it is back inside. Memory
 * per client is bounded by what its socket buffers (SSE: Node's writable buffer until
 * `drain`; WebSocket: the 1 MiB high-water mark), never by how far behind it is.
 */
export class GlobalSubscriber {
  private readonly logger = new Logger('GlobalStream');
  private key: PositionKey;
  /** Next ring entry (absolute number) while inside the ring; null while not. */
  private next: number | null = null;
  private dirty = false;
  private busy = false;
  private closed = false;
  constructor(
    private readonly tail: GlobalTail,
    private readonly log: EventLogRepository,
    private position: string | null,
    private readonly types: ReadonlySet<string> | null,
    private readonly sink: StreamSink,
    private readonly onClosed: (subscriber: GlobalSubscriber) => void = () => undefined,
  ) {
    this.key = positionKey(position);
  }

  start(): this {
    this.tail.add(this);
    this.wake();
    return this;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether the subscriber is currently served from the ring. */
  get inRing(): boolean {
    return this.next !== null;
  }

  close(reason: 'finished' | 'closed' | 'error' = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.tail.remove(this);
    this.onClosed(this);
    this.sink.end(reason);
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
        // From the start of the log: the first events come from the table, whatever the ring
        // holds. The ring can outlive rows deleted since (retention, a truncate), and those
        // are older than anything the table still has, so after one read they sort behind
        // the cursor and are skipped.
        if (this.position !== null) this.next ??= this.tail.seek(this.key);
        if (this.next !== null) await this.fromRing();
        else await this.fromTable();
      }
    } catch (error) {
      if (!this.closed) this.logger.warn(`stream failed: ${error instanceof Error ? error.message : error}`);
      this.close('error');
    } finally {
      this.busy = false;
    }
  }

  private async fromRing(): Promise<void> {
    while (!this.closed && this.next !== null) {
      // Up to SLICE entries the sink gets in one call, then the event loop is yielded.
      const batch: StreamItem[] = [];
      let reachedEnd = false;
      while (batch.length < SLICE) {
        const entry = this.tail.entryAt(this.next);
        if (!entry) {
          // Evicted while this client was slow (or the tail restarted): back to the table.
          // Otherwise caught up with the tail: its next batch wakes us.
          if (this.tail.evicted(this.next) || !this.tail.running) {
            this.tail.fellBehind++;
            this.next = null;
            this.dirty = true;
          }
          reachedEnd = true;
          break;
        }
        this.next++;
        // A subscriber that read the table past the tail's head skips what it already has.
        if (comparePositions(entry.key, this.key) <= 0) continue;
        this.key = entry.key;
        this.position = entry.item.event.position;
        if (!this.types || this.types.has(entry.item.event.type)) batch.push(entry.item);
      }
      const held = this.deliver(batch);
      if (held) await held;
      if (reachedEnd || this.closed) return;
      // Let other subscribers and the executor run between long stretches of history.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private deliver(items: StreamItem[]): void | Promise<void> {
    if (items.length === 0) return;
    if (this.sink.sendMany) return this.sink.sendMany(items);
    return (async () => {
      for (const item of items) {
        if (this.closed) return;
        const held = this.sink.send(item);
        if (held) await held;
      }
    })();
  }

  private async fromTable(): Promise<void> {
    const limit = this.tail.options.batchSize;
    this.tail.tableReads++;
    const events = await this.log.listGlobalAfter(this.position, limit);
    if (this.closed || events.length === 0) {
      if (events.length === 0 && this.position !== null && this.tail.seek(this.key) !== null) this.dirty = true;
      return;
    }
    const last = events[events.length - 1]!;
    this.key = positionKey(last.position);
    this.position = last.position;
    const items = events.filter((event) => !this.types || this.types.has(event.type)).map((event) => ({ id: event.position, event }));
    const held = this.deliver(items);
    if (held) await held;
    // Read on while there is more, or go to the ring once it covers the cursor. A short read
    // reached the end of the order as of now, so the ring covers the cursor at the next look
    // (or after one more read, if the tail's newest read was later than this one). An empty
    // read outside the ring waits for the tail's next batch (or its start), which wakes every
    // subscriber: no tight loop on an empty log.
    if (events.length === limit || this.tail.running) this.dirty = true;
  }
}
