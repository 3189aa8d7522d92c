import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import { Database, isDatabaseUnavailable } from '@baton/db';
import { EventLogService, RunOwnerCache } from '@baton/events';
import { WorkLoop } from '@baton/work';
import { DeliveryRepository } from './delivery.repository.js';
import { DispatchCursorRepository } from './dispatch-cursor.repository.js';
import { planBoundedRound } from './dispatch-plan.js';
import { matchesEventType } from './event-patterns.js';
import { SubscriptionRepository } from './subscription.repository.js';
import type { WebhookSubscription } from './webhook.types.js';

/** Events read per dispatch transaction, at most. */
const DISPATCH_BATCH = 500;
/**
 * Deliveries written per dispatch transaction, at most: on PGlite a statement runs on the
 * event loop's thread, so 500 events x 34 subscriptions in one insert froze the server.
 */
const MAX_DELIVERIES_PER_ROUND = 1_000;
/** In-process events arrive in bursts (a step completes: several events); dispatch once per burst. */
const DEBOUNCE_MS = 20;
/** When another instance holds the dispatch lock, look again this soon (it may have read before our commit). */
const LOCKED_RETRY_MS = 200;

export interface DispatchRound {
  /** False when another instance was dispatching. */
  locked: boolean;
  /** The cursor moved (another instance) between reading the feed and locking: read again. */
  moved: boolean;
  events: number;
  deliveries: number;
  /** More events may be waiting after this round (it was cut short or read a full batch). */
  more: boolean;
}

/**
 * Turns the event log into outbox rows. Each round reads the feed after the cursor, then in
 * ONE transaction takes the dispatch lock, checks the cursor has not moved, inserts a
 * delivery per (event, matching subscription) and advances the cursor. A crash before commit
 * leaves both unchanged (the round is redone); after commit, both moved together. So nothing
 * is lost or written twice.
 */
@Injectable()
export class WebhookDispatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private loop: WorkLoop | undefined;
  /** Events to read next round: fewer when many subscriptions multiply each event. */
  private readSize = DISPATCH_BATCH;
  /** The active subscriptions the last round read, and the repository's generation then. */
  private known: { generation: number; subscriptions: WebhookSubscription[] } | null = null;

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(Database) private readonly db: Database,
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(SubscriptionRepository) private readonly subscriptions: SubscriptionRepository,
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(DispatchCursorRepository) private readonly cursor: DispatchCursorRepository,
    @Inject(RunOwnerCache) private readonly runOwners: RunOwnerCache,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = new WorkLoop({
      name: 'webhook-dispatcher',
      pollMs: this.config.webhookPollMs,
      coalesceMs: DEBOUNCE_MS,
      round: async () => {
        const round = await this.dispatchOnce();
        // Another instance holds the lock: look again soon, it may have read before our commit.
        if (!round.locked) this.loop?.dueAt(Date.now() + LOCKED_RETRY_MS);
        return round.locked && (round.moved || round.more);
      },
      onError: (error) => {
        if (!isDatabaseUnavailable(error)) this.logger.error(`dispatch failed: ${(error as Error).message}`);
      },
    });
    this.loop.start();
  }

  /** Lets a round in progress commit or roll back before the database goes away. */
  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /**
   * An event appended in this process (a payload with a feed position) wakes the dispatcher
   * when a subscription may want it. The others wait for the poll, which moves the cursor past
   * them in batches: with no subscription for step events, a chain's every step would
   * otherwise cost a round of about five statements (issue 17).
   */
  @OnEvent('orchestration.**')
  onDomainEvent(payload: unknown): void {
    if (typeof (payload as { position?: unknown })?.position !== 'string') return;
    if (this.wakesFor(payload as { type?: unknown; runId?: unknown })) this.wake();
  }

  /**
   * Whether an event of this process should wake a round now: true unless the set of active
   * subscriptions read last is known to be current here and none of them can match the event
   * (by type, and by run for a run-scoped one). A subscription another instance created is
   * seen at this instance's next poll round; until then that instance's own events wake it.
   */
  wakesFor(event: { type?: unknown; runId?: unknown }): boolean {
    const known = this.known;
    if (!known || known.generation !== this.subscriptions.generation || typeof event.type !== 'string') return true;
    const type = event.type;
    return known.subscriptions.some((s) => (!s.runId || s.runId === event.runId) && matchesEventType(s.events, type));
  }

  /** Asks for a round (bursts fold into one, a wake-up during a round makes one more). */
  wake(): void {
    this.loop?.wake();
  }

  /**
   * One round (also for tests): at most DISPATCH_BATCH events. The feed is read before the
   * transaction (a pool of one connection must not wait on itself); inside it, the cursor is
   * checked to be where the read started, so a round that raced another instance writes nothing.
   */
  async dispatchOnce(): Promise<DispatchRound> {
    const from = await this.cursor.read();
    const readSize = this.readSize;
    const events = await this.events.listGlobalAfter(from, readSize);
    const nothing = { events: 0, deliveries: 0, more: false };
    if (events.length === 0) return { locked: true, moved: false, ...nothing };
    // Owners for owned subscriptions (tenancy), read before the transaction like the feed;
    // cached per process, since a run's owner never changes.
    const owners = await this.runOwners.ownersOf(events.map((event) => event.runId));
    return this.db.transaction(async (tx) => {
      if (!(await this.cursor.tryLock(tx))) return { locked: false, moved: false, ...nothing };
      if ((await this.cursor.read(tx)) !== from) return { locked: true, moved: true, ...nothing };
      const generation = this.subscriptions.generation;
      const subscriptions = await this.subscriptions.listActive(tx);
      tx.afterCommit(() => (this.known = { generation, subscriptions }));
      this.readSize = Math.max(1, Math.min(DISPATCH_BATCH, Math.floor(MAX_DELIVERIES_PER_ROUND / Math.max(1, subscriptions.length))));
      const round = planBoundedRound(events, subscriptions, MAX_DELIVERIES_PER_ROUND, owners);
      const inserted = await this.deliveries.insertMany(round.deliveries, tx);
      if (inserted > 0) await this.deliveries.notifyDue(tx);
      await this.cursor.advance(events[round.events - 1]!.position, tx);
      const more = round.events < events.length || events.length === readSize;
      return { locked: true, moved: false, events: round.events, deliveries: inserted, more };
    });
  }
}
