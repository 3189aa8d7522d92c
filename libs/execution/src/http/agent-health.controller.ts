import { Controller, Get, Inject, Param } from '@nestjs/common';
import { AgentRegistryService } from '@baton/agents';
import { AgentActivityService } from '@baton/runs';
import { AgentBreakerService, type AgentBreakerView } from '../breakers/agent-breaker.service.js';

/** `GET /api/v1/agents/:name/health`: what the agents page shows next to each agent. */
export interface AgentHealthResponse {
  name: string;
  /** Calls in flight: running steps of this agent whose lease is live. */
  inFlight: number;
  /** The agent's `maxConcurrency` slots, across all instances; `limit` null means unlimited. */
  slots: { limit: number | null; used: number; free: number | null };
  /** Steps of this agent whose last attempt ended in an error since `since`. */
  recentFailures: {
    since: string;
    count: number;
    items: Array<{ runId: string; stepKey: string; status: string; attempt: number; code: string | null; message: string; retryable: boolean | null; at: string }>;
  };
  /** The agent's circuit breaker (issue 12), shared by every instance. */
  breaker: AgentBreakerView;
}

/**
 * An agent's health as its steps show it. It lives in execution because it joins the agent
 * registry (its slot count) with the runs' steps (in flight, failures); neither library below
 * knows the other. The circuit breaker's state comes from the breakers beside it.
 */
@Controller('api/v1/agents')
export class AgentHealthController {
  constructor(
    @Inject(AgentRegistryService) private readonly registry: AgentRegistryService,
    @Inject(AgentActivityService) private readonly activity: AgentActivityService,
    @Inject(AgentBreakerService) private readonly breakers: AgentBreakerService,
  ) {}

  @Get(':name/health')
  async health(@Param('name') name: string): Promise<AgentHealthResponse> {
    const agent = await this.registry.get(name);
    const [activity, breaker] = await Promise.all([this.activity.activity(agent.name), this.breakers.stateOf(agent.name)]);
    const limit = agent.maxConcurrency ?? null;
    return {
      name: agent.name,
      inFlight: activity.inFlight,
      slots: { limit, used: activity.running, free: limit === null ? null : Math.max(0, limit - activity.running) },
      breaker,
      recentFailures: {
        since: activity.since.toISOString(),
        count: activity.failureCount,
        items: activity.failures.map((failure) => ({
          runId: failure.runId,
          stepKey: failure.stepKey,
          status: failure.status,
          attempt: failure.attempt,
          code: failure.error.code ?? null,
          message: failure.error.message,
          retryable: failure.error.retryable ?? null,
          at: failure.at.toISOString(),
        })),
      },
    };
  }
}
