import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { isDatabaseUnavailable } from '@baton/db';
import { WorkerJobsService } from './worker-jobs.service.js';

/**
 * Every `BATON_POLL_INTERVAL_MS` (at most every 5 s) each instance fails worker jobs past
 * their step's timeout. The statement skips rows another instance holds, so instances
 * sweeping together expire each job once.
 */
@Injectable()
export class NodeSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('NodeSweeper');
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    @Inject(WorkerJobsService) private readonly jobs: WorkerJobsService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.min(this.config.pollIntervalMs, 5000);
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.sweepOnce());
    }, every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async sweepOnce(): Promise<void> {
    try {
      const { expired } = await this.jobs.sweep();
      if (expired > 0) this.logger.log(`${expired} worker job(s) timed out`);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) this.logger.warn(`sweep failed: ${(error as Error).message}`);
    }
  }
}
