import { Inject, Injectable, Logger } from '@nestjs/common';
import { MetricsRepository } from './metrics.repository.js';
import { OrchestrationMetrics } from './metrics.registry.js';

export interface MetricsExposition {
  contentType: string;
  body: string;
}

/**
 * Renders `/metrics`: refreshes the gauges from the database (three counts), then asks the
 * registry for the text format. If the database does not answer, the gauges keep their last
 * values and the counters are still served: a scrape should not fail with the database.
 */
@Injectable()
export class OrchestrationMetricsService {
  private readonly logger = new Logger('Metrics');

  constructor(
    @Inject(OrchestrationMetrics) private readonly metrics: OrchestrationMetrics,
    @Inject(MetricsRepository) private readonly repository: MetricsRepository,
  ) {}

  async render(): Promise<MetricsExposition> {
    await this.refreshGauges();
    return { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
  }

  /** The registry, for tests and for adding metrics from the app. */
  get registry(): OrchestrationMetrics['registry'] {
    return this.metrics.registry;
  }

  private async refreshGauges(): Promise<void> {
    try {
      const [steps, approvals, lag] = await Promise.all([this.repository.stepCounts(), this.repository.pendingApprovals(), this.repository.consumerLag()]);
      for (const consumer of lag) this.metrics.consumerLag.set({ consumer: consumer.name }, consumer.lag);
      this.metrics.queueDepth.set(steps.queued);
      this.metrics.runningSteps.set(steps.running);
      this.metrics.approvalsPending.set(approvals);
    } catch (error) {
      this.logger.warn(`could not refresh gauges: ${(error as Error).message}`);
    }
  }
}
