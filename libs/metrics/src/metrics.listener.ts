import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { RunEvent } from '@baton/events';
import { WEBHOOK_DELIVERY_EVENT, WEBHOOK_OUTCOMES, type WebhookDeliveryEvent } from './metric-events.js';
import { OrchestrationMetrics } from './metrics.registry.js';

/** Label for steps without an agent (checkpoints, child runs) or events that do not say. */
const NO_AGENT = 'none';
/** Runs whose last hand-over time is remembered; the oldest are forgotten past this. */
const TRACKED_RUNS = 10_000;

/**
 * Feeds the counters and histograms from in-process domain events, emitted after commit. So
 * counters count what THIS instance did: sum them across replicas. `@OnEvent` swallows
 * errors, so every handler catches and logs its own.
 */
@Injectable()
export class MetricsListener {
  private readonly logger = new Logger('Metrics');
  private readonly finished = { completed: 0, all: 0 };
  /** Per open run: when it was created (planning) and when it last handed work on. */
  private readonly created = new Map<string, number>();
  private readonly handedOn = new Map<string, number>();

  constructor(@Inject(OrchestrationMetrics) private readonly metrics: OrchestrationMetrics) {}

  /**
   * Every event this process appended: stream throughput, planning time and coordination
   * latency, from the events' own commit-side timestamps. A run whose earlier events were
   * written by another instance is simply not measured here.
   */
  @OnEvent('orchestration.**')
  onAnyEvent(event: RunEvent): void {
    this.safely('stream', () => {
      if (typeof event?.type !== 'string' || typeof event.runId !== 'string') return;
      this.metrics.streamEvents.inc({ type: event.type });
      const at = event.createdAt instanceof Date ? event.createdAt.getTime() : Date.now();
      if (event.type === 'run.created') remember(this.created, event.runId, at);
      else if (event.type === 'run.started') {
        const createdAt = this.created.get(event.runId);
        if (createdAt !== undefined) this.metrics.planningTime.observe(Math.max(0, at - createdAt) / 1000);
        this.created.delete(event.runId);
        remember(this.handedOn, event.runId, at);
      } else if (event.type === 'step.completed') remember(this.handedOn, event.runId, at);
      else if (event.type === 'step.started') {
        const since = this.handedOn.get(event.runId);
        if (since !== undefined) this.metrics.coordinationLatency.observe(Math.max(0, at - since) / 1000);
      } else if (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled') {
        this.created.delete(event.runId);
        this.handedOn.delete(event.runId);
      }
    });
  }

  @OnEvent('orchestration.run.completed')
  @OnEvent('orchestration.run.failed')
  @OnEvent('orchestration.run.cancelled')
  onRunFinished(event: RunEvent): void {
    this.safely('run', () => {
      this.metrics.runsTotal.inc({ status: event.type.slice('run.'.length) });
      this.finished.all++;
      if (event.type === 'run.completed') this.finished.completed++;
      this.metrics.completionRate.set(this.finished.completed / this.finished.all);
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

/** Records a run's time, forgetting the oldest run when too many are open. */
function remember(map: Map<string, number>, runId: string, at: number): void {
  map.delete(runId);
  map.set(runId, at);
  if (map.size > TRACKED_RUNS) map.delete(map.keys().next().value!);
}
