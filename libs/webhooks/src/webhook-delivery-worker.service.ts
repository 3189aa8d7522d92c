import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonConfig, OutboundHttp } from '@baton/common';
import { Database, isDatabaseUnavailable } from '@baton/db';
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
/** Claims one wake-up may make in a row before it lets the event loop breathe (setImmediate). */
const MAX_CLAIMS_PER_TICK = 4;

interface InFlight {
  abort: AbortController;
  done: Promise<void>;
  claim: ClaimedDelivery;
}

/**
 * Sends due deliveries. Woken by the dispatcher's NOTIFY (any instance), by a retry falling
 * due here, and by the poll; claims as many as it has room for and sends them in parallel.
 */
@Injectable()
export class WebhookDeliveryWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDelivery');
  private readonly inFlight = new Map<string, InFlight>();
  private timer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private unlisten: (() => Promise<void>) | undefined;
  private unreconnect: (() => void) | undefined;
  private wakeScheduled = false;
  private claiming = false;
  private again = false;
  private stopped = true;

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(Database) private readonly db: Database,
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
    @Inject(WebhookRendererRegistry) private readonly renderers: WebhookRendererRegistry,
    @Inject(DestinationRepository) private readonly destinations: DestinationRepository,
    @Inject(OutboundHttp) private readonly outbound: OutboundHttp,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.stopped = false;
    this.unlisten = await this.db.listen(WEBHOOK_CHANNEL, () => this.wake());
    this.timer = setInterval(() => this.wake(), this.config.webhookPollMs);
    // NOTIFYs sent while the database was away were lost.
    this.unreconnect = this.db.onReconnect(() => this.wake());
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unreconnect?.();
    for (const retry of this.retryTimers) clearTimeout(retry);
    await this.unlisten?.().catch(() => undefined);
    const graceMs = Math.min(SHUTDOWN_GRACE_MS, this.config.shutdownGraceMs / 4);
    const grace = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all([...this.inFlight.values()].map((f) => f.done)), grace]);
    for (const flight of this.inFlight.values()) flight.abort.abort();
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
    while (this.claiming) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /**
   * Asks for a claim on the next turn of the event loop: the settles of a burst of attempts
   * (16 refused connections in the same millisecond) fold into one claim, not sixteen.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      if (this.stopped) return;
      if (this.claiming) this.again = true;
      else void this.drain();
    });
  }

  /** At most MAX_CLAIMS_PER_TICK claims, then the rest of the work waits for the next turn. */
  private async drain(): Promise<void> {
    this.claiming = true;
    let rounds = 0;
    try {
      do {
        this.again = false;
        const room = WORKER_CONCURRENCY - this.inFlight.size;
        if (room <= 0) break;
        const claimed = await this.deliveries.claim(this.config.instanceId, LEASE_MS, room);
        for (const claim of claimed) this.start(claim);
        if (claimed.length === room) this.again = true;
      } while (this.again && !this.stopped && ++rounds < MAX_CLAIMS_PER_TICK);
    } catch (error) {
      // During a database outage the reconnect wakes us; no error line per poll meanwhile.
      if (!this.stopped && !isDatabaseUnavailable(error)) this.logger.error(`claim failed: ${(error as Error).message}`);
    } finally {
      this.claiming = false;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    }
  }

  private start(claim: ClaimedDelivery): void {
    const abort = new AbortController();
    const done = this.attempt(claim, abort.signal)
      .then((result) => (abort.signal.aborted ? this.deliveries.release(claim, this.config.instanceId) : this.settle(claim, result)))
      .catch((error) => this.logger.error(`delivery ${claim.id}: ${(error as Error).message}`))
      .finally(() => {
        this.inFlight.delete(claim.id);
        // The next event of this run may be waiting for this one; room for one more anyway.
        this.wake();
      });
    this.inFlight.set(claim.id, { abort, done, claim });
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
      this.wake();
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
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.wake();
    }, delayMs + 5);
    this.retryTimers.add(timer);
  }
}
