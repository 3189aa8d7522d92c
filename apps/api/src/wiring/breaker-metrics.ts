import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { AgentBreakerService, BREAKER_STATE_VALUE } from '@baton/execution';
import { OrchestrationMetricsService } from '@baton/metrics';

/**
 * `orchestration_agent_breaker_state{agent}` (0 closed, 1 half-open, 2 open), read from the
 * shared breaker rows at each scrape, so every instance reports the same states. Wired here
 * because `metrics` (floor 3) may not import `execution` (floor 5), which owns the breakers.
 * Agents that never failed have no row and no series: they are closed.
 */
@Injectable()
export class BreakerMetrics implements OnModuleInit {
  private readonly logger = new Logger('BreakerMetrics');

  constructor(
    @Inject(OrchestrationMetricsService) private readonly metrics: OrchestrationMetricsService,
    @Inject(AgentBreakerService) private readonly breakers: AgentBreakerService,
  ) {}

  onModuleInit(): void {
    const breakers = this.breakers;
    const logger = this.logger;
    new Gauge({
      name: 'orchestration_agent_breaker_state',
      help: 'Circuit breaker state per agent: 0 closed, 1 half-open, 2 open (shared by all instances).',
      labelNames: ['agent'] as const,
      registers: [this.metrics.registry],
      async collect() {
        try {
          const states = await breakers.allStates();
          this.reset();
          for (const { agent, state } of states) this.set({ agent }, BREAKER_STATE_VALUE[state]);
        } catch (error) {
          logger.warn(`could not read breaker states: ${(error as Error).message}`);
        }
      },
    });
  }
}
