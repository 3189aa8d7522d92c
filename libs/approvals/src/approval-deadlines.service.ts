import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { EventConsumers, TERMINAL_RUN_EVENTS, type ConsumerHandle } from '@baton/events';
import { OrchestrationCheckpointService } from './checkpoint.service.js';
import { CompensationApprovalsService, ESCALATION_EVENT } from './compensation-approvals.service.js';

/** The durable consumer that closes the open approvals of runs that ended (and opens compensation approvals). */
export const CLOSE_ON_RUN_END = 'approvals.close-on-run-end';

/** What the consumer reads: runs ending, and compensations that failed for good (saga, issue 12). */
const CONSUMED: ReadonlySet<string> = new Set([...TERMINAL_RUN_EVENTS, ESCALATION_EVENT]);

/**
 * Fires checkpoint deadlines from the table (so they survive restarts), closes the open
 * approvals of runs that ended without them, and opens the approval of a saga compensation
 * that failed for good (`CompensationApprovalsService`): one durable consumer for both, so
 * the event log is read once for this module. The closing is a durable consumer of the event
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
    @Inject(CompensationApprovalsService) private readonly compensations: CompensationApprovalsService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), Math.min(this.config.pollIntervalMs, 1000));
    this.closer = this.consumers.start({
      name: CLOSE_ON_RUN_END,
      types: CONSUMED,
      // In log order: an approval opened for a rollback that then ended is cancelled with it.
      handle: async (events, tx) => {
        for (const event of events) {
          if (event.type === ESCALATION_EVENT) await this.compensations.open(event, tx);
          else await this.checkpoints.cancelForRun(event.runId, tx);
        }
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
