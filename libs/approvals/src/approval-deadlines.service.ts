import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import type { RunEvent } from '@baton/events';
import { OrchestrationCheckpointService } from './checkpoint.service.js';

/**
 * Fires checkpoint deadlines from the table (so they survive restarts), and closes the open
 * approvals of runs that ended without them.
 */
@Injectable()
export class ApprovalDeadlinesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ApprovalDeadlines');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), Math.min(this.config.pollIntervalMs, 1000));
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
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

  @OnEvent('orchestration.run.cancelled')
  @OnEvent('orchestration.run.failed')
  @OnEvent('orchestration.run.completed')
  async onRunEnded(event: RunEvent): Promise<void> {
    try {
      await this.checkpoints.cancelForRun(event.runId);
    } catch (error) {
      this.logger.warn(`could not close approvals of run ${event.runId}: ${(error as Error).message}`);
    }
  }
}
