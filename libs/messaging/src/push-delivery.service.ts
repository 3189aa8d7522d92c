import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AgentModeRouterService } from '@baton/agents';
import { BatonConfig, OutboundHttp } from '@baton/common';
import { Database } from '@baton/db';
import { retryDelayMs } from '@baton/webhooks';
import { WorkLoop } from '@baton/work';
import { DeliveryRepository } from './delivery.repository.js';
import { InboxEndpointRepository, type PushItem } from './inbox-endpoint.repository.js';
import { InboxSignals } from './inbox-signals.js';
import { sendA2aPush, sendPush } from './push-sender.js';
import { RunLog } from './run-log.js';

const BATCH = 20;
/** The safety-net poll: mail queued on another instance (PGlite has no cross-process NOTIFY). */
const POLL_MS = 1_000;
/** First backoff of a failed push; doubles per attempt (with jitter), capped like webhooks. */
const INITIAL_BACKOFF_MS = 500;
/** A push lease must outlive the request (10 s timeout) whatever the pull lease is. */
const MIN_PUSH_LEASE_SECONDS = 30;

/**
 * Pushes mail to agents that registered an inbox URL: a signed POST per delivery (headers as
 * webhooks: `x-baton-delivery` is the delivery id to deduplicate on). A 2xx acknowledges the
 * entry; anything else keeps it leased for a backoff, after which it is pushed again, until
 * `BATON_MESSAGE_MAX_ATTEMPTS` make it a dead letter (the sweeper). Work comes from the table,
 * so entries queued before a crash are pushed after the restart, by any instance.
 */
@Injectable()
export class PushDeliveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MessagePush');
  private readonly loop: WorkLoop;
  private readonly abort = new AbortController();
  private offMail: (() => void) | undefined;
  /**
   * Agents with a push endpoint, as of the last round (or set here): mail for anyone else does
   * not wake the worker. Another instance's new endpoint is learned at the next poll.
   */
  private pushAgents = new Set<string>();

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(InboxEndpointRepository) private readonly endpoints: InboxEndpointRepository,
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(InboxSignals) private readonly signals: InboxSignals,
    @Inject(OutboundHttp) private readonly outbound: OutboundHttp,
    @Inject(RunLog) private readonly runLog: RunLog,
    @Inject(AgentModeRouterService) private readonly agents: AgentModeRouterService,
  ) {
    this.loop = new WorkLoop({
      name: 'message-push',
      round: () => this.round(),
      // Woken by new mail and by backoff due times; the poll is only the safety net.
      pollMs: POLL_MS,
      onError: (error) => this.logger.warn(`push round failed: ${(error as Error).message}`),
    });
  }

  onApplicationBootstrap(): void {
    this.offMail = this.signals.onMail((recipients) => {
      if (recipients === '*' || recipients.some((r) => this.pushAgents.has(r))) this.loop.wake();
    });
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.offMail?.();
    this.abort.abort();
    await this.loop.stop();
  }

  /** One batch; true when a full batch suggests more is waiting. */
  async round(): Promise<boolean> {
    const lease = Math.max(MIN_PUSH_LEASE_SECONDS, this.config.messageLeaseSeconds);
    this.pushAgents = new Set(await this.endpoints.agents());
    const items = this.pushAgents.size === 0 ? [] : await this.endpoints.leaseForPush(BATCH, lease, this.config.messageMaxAttempts);
    await Promise.all(items.map((item) => this.push(item)));
    if (this.pushAgents.size > 0) this.loop.dueAt(await this.endpoints.nextDue());
    return items.length === BATCH;
  }

  private async push(item: PushItem): Promise<void> {
    const result = item.a2aAgent
      ? await sendA2aPush(item, this.abort.signal, this.agents)
      : await sendPush(item, this.abort.signal, this.outbound.fetch);
    if (this.abort.signal.aborted) return; // shutting down: the lease runs out, another push follows
    if (result.ok) {
      await this.db.transaction(async (tx) => {
        const acked = await this.deliveries.ack(item.deliveryId, item.recipient, tx);
        if (acked?.fresh && acked.runId) {
          await this.runLog.delivered({ runId: acked.runId, messageId: item.message.id, deliveryId: item.deliveryId, recipient: item.recipient, via: 'push' }, tx);
        }
      });
      return;
    }
    await this.endpoints.backOff(item.deliveryId, retryDelayMs(item.attempts, INITIAL_BACKOFF_MS), result.error);
  }
}
