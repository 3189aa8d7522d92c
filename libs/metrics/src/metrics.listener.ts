import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { RunEvent } from '@baton/events';
import { WEBHOOK_DELIVERY_EVENT, WEBHOOK_OUTCOMES, type WebhookDeliveryEvent } from './metric-events.js';
import { OrchestrationMetrics } from './metrics.registry.js';

/** Label for steps without an agent (checkpoints, child runs) or events that do not say. */
const NO_AGENT = 'none';

/**
 * Feeds the counters and histograms from in-process domain events, emitted after commit. So
 * counters count what THIS instance did: sum them across replicas. `@OnEvent` swallows
 * errors, so every handler catches and logs its own.
 */
@Injectable()
export class MetricsListener {
  private readonly logger = new Logger('Metrics');

  constructor(@Inject(OrchestrationMetrics) private readonly metrics: OrchestrationMetrics) {}

  @OnEvent('orchestration.run.completed')
  @OnEvent('orchestration.run.failed')
  @OnEvent('orchestration.run.cancelled')
  onRunFinished(event: RunEvent): void {
    this.safely('run', () => {
      this.metrics.runsTotal.inc({ status: event.type.slice('run.'.length) });
      const durationMs = event.data?.durationMs;
      if (typeof durationMs === 'number') this.metrics.runDuration.observe(durationMs / 1000);
    });
  }

  @OnEvent('orchestration.step.completed')
  @OnEvent('orchestration.step.failed')
  @OnEvent('orchestration.step.skipped')
  @OnEvent('orchestration.step.cancelled')
  onStepFinished(event: RunEvent): void {
    this.safely('step', () => {
      const data = event.data ?? {};
      const agent = typeof data.agent === 'string' && data.agent ? data.agent : NO_AGENT;
      const status = event.type.slice('step.'.length);
      this.metrics.stepsTotal.inc({ status, agent });
      if (typeof data.durationMs === 'number') this.metrics.stepDuration.observe({ agent }, data.durationMs / 1000);
      // Approximation (see README): the event does not say whether caching was on for the
      // step, so every agent step completed without a hit counts as a miss.
      if (status === 'completed' && data.cacheHit === false && agent !== NO_AGENT) this.metrics.cacheMisses.inc();
    });
  }

  @OnEvent('orchestration.step.cache_hit')
  onCacheHit(): void {
    this.safely('cache hit', () => this.metrics.cacheHits.inc());
  }

  @OnEvent(WEBHOOK_DELIVERY_EVENT)
  onWebhookDelivery(event: WebhookDeliveryEvent): void {
    this.safely('webhook delivery', () => {
      const outcome = event?.outcome;
      if (!(WEBHOOK_OUTCOMES as readonly string[]).includes(outcome)) {
        this.logger.warn(`ignoring ${WEBHOOK_DELIVERY_EVENT} with outcome ${JSON.stringify(outcome)}`);
        return;
      }
      this.metrics.webhookDeliveries.inc({ outcome });
    });
  }

  private safely(what: string, update: () => void): void {
    try {
      update();
    } catch (error) {
      this.logger.error(`could not record ${what} metric: ${(error as Error).stack ?? error}`);
    }
  }
}
