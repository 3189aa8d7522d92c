import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import { Database } from '@baton/db';
import { EVENTS_CHANNEL } from '../event-log.repository.js';
import type { RunEvent } from '../event-types.js';

/** Called with the run that has new events, or null for "anything may have changed". */
export type FeedListener = (runId: string | null) => void;

/**
 * The per-process doorbell for stream readers. It rings when this process committed events
 * (in-process emitter), when any instance did (LISTEN on the channel each append NOTIFYs),
 * and on a slow timer that covers notifications lost while the LISTEN connection reconnected.
 * It carries no content: a woken reader reads the table from its own cursor, which is what
 * makes every delivery exact whichever bell rang, and how often.
 */
@Injectable()
export class EventFeed implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('EventFeed');
  private readonly listeners = new Set<FeedListener>();
  private unlisten: (() => Promise<void>) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private unreconnect: (() => void) | undefined;
  private readonly onLocal = (event: RunEvent) => this.ring(event?.runId ?? null);

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.emitter.on('orchestration.**', this.onLocal);
    try {
      this.unlisten = await this.db.listen(EVENTS_CHANNEL, (payload) => this.ring(payload || null));
    } catch (error) {
      // Streams still work on the in-process bell and the timer, only slower across instances.
      this.logger.warn(`LISTEN ${EVENTS_CHANNEL} failed: ${error instanceof Error ? error.message : error}`);
    }
    this.ticker = setInterval(() => this.ring(null), this.config.pollIntervalMs).unref();
    // NOTIFYs sent while the database was away were lost: every stream reads once more.
    this.unreconnect = this.db.onReconnect(() => this.ring(null));
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.ticker);
    this.unreconnect?.();
    this.emitter.off('orchestration.**', this.onLocal);
    await this.unlisten?.().catch(() => undefined);
    this.listeners.clear();
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  private ring(runId: string | null): void {
    for (const listener of this.listeners) {
      try {
        listener(runId);
      } catch (error) {
        this.logger.error(`stream listener failed: ${error instanceof Error ? error.message : error}`);
      }
    }
  }
}
