import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { EventConsumers, TERMINAL_RUN_EVENTS, type ConsumerHandle } from '@baton/events';
import { OrchestrationCheckpointService } from './checkpoint.service.js';

/** The durable consumer that closes the open approvals of runs that ended. */
export const CLOSE_ON_RUN_END = 'approvals.close-on-run-end';

/**
 * Fires checkpoint deadlines from the table (so they survive restarts), and closes the open
 * approvals of runs that ended without them. The closing is a durable consumer of the event
 * log, not an in-process listener: its cursor moves in the same transaction as the
 * cancellations, so a process that dies between a run's end and this reaction (or another
 * instance that ended the run) cannot leave the approvals open.
 */
@Injectable()
export class ApprovalDeadlinesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ApprovalDeadlines');
  private timer: NodeJS.Timeout | undefined;
  private closer: ConsumerHandle | undefined;

  constructor(
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
    @Inject(EventConsumers) private readonly consumers: EventConsumers,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), Math.min(this.config.pollIntervalMs, 1000));
    this.closer = this.consumers.start({
      name: CLOSE_ON_RUN_END,
      types: TERMINAL_RUN_EVENTS,
      handle: async (events, tx) => {
        for (const runId of new Set(events.map((event) => event.runId))) await this.checkpoints.cancelForRun(runId, tx);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.closer?.stop();
  }

  async tick(): Promise<void> {
    try {
      while ((await this.checkpoints.expireDue()) > 0) {
        // keep going while there is a backlog, letting HTTP requests in between batches
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.logger.warn(`deadline sweep failed: ${(error as Error).message}`);
    }
  }
}
