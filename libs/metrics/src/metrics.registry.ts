import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Buckets in seconds: steps and runs range from milliseconds (cache hits) to hours (checkpoints). */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400];
/** Buckets in seconds for the hub's own hand-overs: milliseconds normally, seconds under load. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Every Baton metric, in one prom-client Registry owned by this app instance (never the
 * global default registry: tests start several apps in one process, and each must count
 * only its own work).
 */
export class OrchestrationMetrics {
  readonly registry = new Registry();

  readonly runsTotal = new Counter({
    name: 'orchestration_runs_total',
    help: 'Runs that reached a terminal status in this process, by status.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly runDuration = new Histogram({
    name: 'orchestration_run_duration_seconds',
    help: 'Run duration from creation to its terminal status.',
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly stepsTotal = new Counter({
    name: 'orchestration_steps_total',
    help: 'Steps that reached a terminal status in this process, by status and agent.',
    labelNames: ['status', 'agent'] as const,
    registers: [this.registry],
  });

  readonly stepDuration = new Histogram({
    name: 'orchestration_step_duration_seconds',
    help: 'Duration of the final attempt of a step, from claim to its terminal status, by agent.',
    labelNames: ['agent'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly cacheHits = new Counter({
    name: 'orchestration_step_cache_hits_total',
    help: 'Steps whose whole output came from the step cache.',
    registers: [this.registry],
  });

  readonly cacheMisses = new Counter({
    name: 'orchestration_step_cache_misses_total',
    help: 'Agent steps completed without a cache hit (approximation: includes steps with caching off).',
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'orchestration_queue_depth',
    help: 'Steps queued for execution across all instances sharing the database.',
    registers: [this.registry],
  });

  readonly runningSteps = new Gauge({
    name: 'orchestration_running_steps',
    help: 'Steps running across all instances sharing the database.',
    registers: [this.registry],
  });

  readonly approvalsPending = new Gauge({
    name: 'orchestration_approvals_pending',
    help: 'Human checkpoints waiting for a decision.',
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'orchestration_webhook_deliveries_total',
    help: 'Webhook delivery attempts made by this process, by outcome (delivered, failed, dead).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  // The seed's metrics (issue 12): completion rate, coordination latency, planning time,
  // stream throughput, consumer lag.
  readonly completionRate = new Gauge({
    name: 'orchestration_completion_rate',
    help: 'Share of the runs finished in this process that completed (completed / completed + failed + cancelled).',
    registers: [this.registry],
  });

  readonly coordinationLatency = new Histogram({
    name: 'orchestration_coordination_latency_seconds',
    help: 'From the run starting or a step of it completing to the next step of the run starting (the hub handing work on).',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly planningTime = new Histogram({
    name: 'orchestration_planning_seconds',
    help: 'From a run being created (planned: definition resolved, steps written) to its start.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly streamEvents = new Counter({
    name: 'orchestration_stream_events_total',
    help: 'Events appended to the log by this process (each reaches the SSE, WebSocket and webhook readers), by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: 'orchestration_event_consumer_lag_events',
    help: 'Events in the log after a durable consumer\'s cursor (counted up to 10000), by consumer.',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
