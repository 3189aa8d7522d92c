import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { DeliveryRepository } from './delivery.repository.js';
import { EventWaitService } from './event-wait.service.js';
import { MessageRepository } from './message.repository.js';
import { MessagingService } from './messaging.service.js';

const BATCH = 100;

/**
 * Time-driven messaging work, from the tables (so it survives restarts and any instance may
 * do it): `timeout` replies for requests past their TTL, expiry of undelivered messages,
 * dead letters, and pruning nonces older than the replay window.
 */
@Injectable()
export class MessageSweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MessageSweeper');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(MessagingService) private readonly messaging: MessagingService,
    @Inject(MessageRepository) private readonly messages: MessageRepository,
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(EventWaitService) private readonly waits: EventWaitService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, this.config.messageSweepMs);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  async tick(): Promise<void> {
    try {
      for (;;) {
        const overdue = await this.messages.overdueRequests(BATCH);
        // markAnswered inside timeOut decides races with replies and other instances.
        for (const request of overdue) await this.messaging.timeOut(request.id);
        if (overdue.length < BATCH) break;
      }
      await this.deliveries.sweep(this.config.messageMaxAttempts);
      await this.messages.pruneNonces(this.config.messageReplayWindowSeconds);
      await this.waits.expireDue();
    } catch (error) {
      this.logger.warn(`message sweep failed: ${(error as Error).message}`);
    }
  }
}
