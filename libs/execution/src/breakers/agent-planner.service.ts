import { Inject, Injectable } from '@nestjs/common';
import { AgentRegistryService } from '@baton/agents';
import type { AgentPlan } from '@baton/runs';
import { AgentBreakerService } from './agent-breaker.service.js';

/**
 * Builds the `AgentPlan` a claim applies: who has each capability, each agent's slots, and
 * which breakers are open or half-open. Registry reads are cached (a few seconds); breaker
 * states are read fresh, one query per claim, because they change under load.
 */
@Injectable()
export class AgentPlanner {
  constructor(
    @Inject(AgentRegistryService) private readonly registry: AgentRegistryService,
    @Inject(AgentBreakerService) private readonly breakers: AgentBreakerService,
  ) {}

  async plan(agents: string[], capabilities: string[]): Promise<AgentPlan> {
    const byCapability = new Map<string, string[]>();
    for (const capability of capabilities) {
      byCapability.set(capability, (await this.registry.findByCapability(capability)).map((agent) => agent.name));
    }
    const names = [...new Set([...agents, ...[...byCapability.values()].flat()])];
    const [registered, states] = await Promise.all([this.registry.findMany(names), this.breakers.states(names)]);
    const limits = new Map<string, number>();
    const open = new Set<string>();
    const halfOpen = new Set<string>();
    for (const name of names) {
      const agent = registered.get(name);
      let limit = agent?.maxConcurrency;
      const state = states.get(name)?.state ?? 'closed';
      if (state === 'open') open.add(name);
      if (state === 'half_open') {
        halfOpen.add(name);
        // Only probes while half-open: at most half_open_max_calls calls at once.
        const probes = agent?.breaker?.halfOpenMaxCalls ?? 1;
        limit = Math.min(limit ?? probes, probes);
      }
      if (limit !== undefined) limits.set(name, limit);
    }
    return { limits, open, halfOpen, byCapability };
  }
}
