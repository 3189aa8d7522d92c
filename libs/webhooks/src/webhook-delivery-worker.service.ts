import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonConfig, OutboundHttp } from '@baton/common';
import { Database, isDatabaseUnavailable } from '@baton/db';
import { LeasedWork, WorkLoop } from '@baton/work';
import { DeliveryRepository, WEBHOOK_CHANNEL } from './delivery.repository.js';
import { afterFailure, blamesDestination, LEASE_MS, MAX_BACKOFF_MS, retryDelayMs } from './delivery-policy.js';
import { DestinationRepository } from './destination.repository.js';
import { WebhookRendererRegistry, type RenderedDelivery } from './delivery-renderer.js';
import { sendDelivery } from './webhook-sender.js';
import { BATON_FORMAT, WEBHOOK_ATTEMPTED_EVENT, type AttemptResult, type ClaimedDelivery, type WebhookAttemptedEvent } from './webhook.types.js';

/** Requests this process has open at once, across all subscriptions. */
const WORKER_CONCURRENCY = 16;
/** How long shutdown lets open requests finish before it aborts them and hands them back. */
const SHUTDOWN_GRACE_MS = 2_000;
/** Claims one round may make in a row before it lets the event loop breathe. */
const MAX_CLAIMS_PER_ROUND = 4;

/**
 * Sends due deliveries. A `WorkLoop` (libs/work) wakes it on the dispatcher's NOTIFY (any
 * instance), on a retry falling due here, after a reconnect and on the poll; each round claims
 * as many as there is room for, and `LeasedWork` holds the open requests: their leases are
 * renewed while they run, a lost lease aborts the request, and shutdown hands back what did
 * not finish within the grace (due again, the attempt not counted).
 */
@Injectable()
export class WebhookDeliveryWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDelivery');
  private readonly loop: WorkLoop;
  private readonly inFlight: LeasedWork<ClaimedDelivery>;
  private unreconnect: (() => void) | undefined;

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(Database) private readonly db: Database,
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
    @Inject(WebhookRendererRegistry) private readonly renderers: WebhookRendererRegistry,
    @Inject(DestinationRepository) private readonly destinations: DestinationRepository,
    @Inject(OutboundHttp) private readonly outbound: OutboundHttp,
  ) {
    this.loop = new WorkLoop({
      name: 'webhook-delivery',
      round: () => this.claimRound(),
      pollMs: config.webhookPollMs,
      onError: (error) => {
        // During a database outage the reconnect wakes us; no error line per poll meanwhile.
        if (!isDatabaseUnavailable(error)) this.logger.error(`claim failed: ${(error as Error).message}`);
      },
    });
    this.inFlight = new LeasedWork<ClaimedDelivery>({
      renew: (ids) => this.deliveries.renew(ids, config.instanceId, LEASE_MS),
      release: (claim) => this.deliveries.release(claim, config.instanceId),
      renewEveryMs: LEASE_MS / 3,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.loop.listen(this.db, WEBHOOK_CHANNEL);
    // NOTIFYs sent while the database was away were lost.
    this.unreconnect = this.db.onReconnect(() => this.loop.wake());
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.unreconnect?.();
    await this.loop.stop();
    await this.inFlight.shutdown(Math.min(SHUTDOWN_GRACE_MS, this.config.shutdownGraceMs / 4));
  }

  /** Asks for a claim round (coalesced with any other wake-up). */
  wake(): void {
    this.loop.wake();
  }

  /** Claims up to the free room, a few times in a row; true when more may be due. */
  private async claimRound(): Promise<boolean> {
    for (let claims = 0; claims < MAX_CLAIMS_PER_ROUND; claims++) {
      const room = WORKER_CONCURRENCY - this.inFlight.size;
      if (room <= 0) return false;
      const claimed = await this.deliveries.claim(this.config.instanceId, LEASE_MS, room);
      for (const claim of claimed) this.start(claim);
      if (claimed.length < room) return false;
    }
    return true;
  }

  private start(claim: ClaimedDelivery): void {
    void this.inFlight
      .run(claim.id, claim, async (signal) => {
        const result = await this.attempt(claim, signal);
        // Aborted: shutdown releases it; a lost lease means another worker owns the outcome.
        if (!signal.aborted) await this.settle(claim, result);
      })
      .catch((error) => this.logger.error(`delivery ${claim.id}: ${(error as Error).message}`))
      // The next event of this run may be waiting for this one; room for one more anyway.
      .finally(() => this.loop.wake());
  }

  /** Renders the body when the subscription has a format of its own, then sends. Never throws. */
  private async attempt(claim: ClaimedDelivery, signal: AbortSignal): Promise<AttemptResult> {
    let rendered: RenderedDelivery | undefined;
    if (claim.format !== BATON_FORMAT) {
      const renderer = this.renderers.find(claim.format);
      if (!renderer) return { ok: false, statusCode: null, error: `no renderer for format ${claim.format} in this process`, sent: false };
      try {
        rendered = await renderer.render({
          deliveryId: claim.id,
          event: claim.event,
          subscription: { id: claim.subscriptionId, url: claim.url, format: claim.format, formatOptions: claim.formatOptions },
        });
      } catch (error) {
        return { ok: false, statusCode: null, error: `render (${claim.format}) failed: ${(error as Error).message}`, sent: false };
      }
    }
    return sendDelivery(claim, signal, this.outbound.fetch, Date.now(), rendered);
  }

  private async settle(claim: ClaimedDelivery, result: AttemptResult): Promise<void> {
    const owner = this.config.instanceId;
    let outcome: WebhookAttemptedEvent['outcome'] = 'delivered';
    let kept: boolean;
    if (result.ok) {
      kept = await this.deliveries.markDelivered(claim, owner, result.statusCode ?? 200);
    } else {
      outcome = afterFailure(claim.attempts, this.config.webhookMaxAttempts);
      const delayMs = retryDelayMs(claim.attempts, this.config.webhookBackoffMs);
      kept = await this.deliveries.markFailed(claim, owner, {
        statusCode: result.statusCode,
        error: result.error ?? 'failed',
        dead: outcome === 'dead',
        delayMs,
      });
      if (outcome === 'failed') this.wakeAt(delayMs);
      else this.logger.warn(`delivery ${claim.id} (${claim.eventType}) dead after ${claim.attempts} attempts: ${result.error}`);
      // The receiver itself is failing: block its destination as a whole, so its backlog
      // waits without an attempt per delivery.
      if (blamesDestination(result)) {
        await this.destinations.failed(claim.destination, result.error ?? 'failed', this.config.webhookBackoffMs, MAX_BACKOFF_MS);
      }
    }
    if (result.ok && claim.probe) {
      await this.destinations.recovered(claim.destination);
      this.loop.wake();
    }
    // A lost lease (another instance took over after expiry) means that one records the outcome.
    if (!kept) return;
    const event: WebhookAttemptedEvent = {
      deliveryId: claim.id,
      webhookId: claim.subscriptionId,
      eventType: claim.eventType,
      attempt: claim.attempts,
      outcome,
      statusCode: result.statusCode,
      at: new Date(),
    };
    this.emitter.emit(WEBHOOK_ATTEMPTED_EVENT, event);
  }

  /** Wakes the loop when a retry scheduled here falls due (other instances find it by polling). */
  private wakeAt(delayMs: number): void {
    this.loop.dueAt(Date.now() + delayMs + 5);
  }
}
