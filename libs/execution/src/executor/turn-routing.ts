import { Inject, Injectable } from '@nestjs/common';
import { isBuiltinName } from '@baton/agents';
import type { PatternParticipant } from '@baton/definitions';
import { AgentWaitService, type ClaimedStep } from '@baton/runs';
import { AgentBreakerService } from '../breakers/agent-breaker.service.js';
import { AgentPlanner } from '../breakers/agent-planner.service.js';
import { isParkedMember } from './pattern-parked-turns.js';

/**
 * Where a participant's calls go: `agents` are the healthy agents to call (closed before
 * half-open; a turn picks one by its number, so a capability's turns spread), empty when the
 * call goes as written (built-ins, a capability nobody registered: the router says so).
 */
export interface TurnRoute {
  ref: { agent?: string; capability?: string };
  agents: string[];
}

/** The call of turn `turn` on this route, and the agent whose breaker hears its outcome (null: none). */
export function routeCall(route: TurnRoute, turn: number): { ref: { agent?: string; capability?: string }; guarded: string | null } {
  if (route.agents.length === 0) return { ref: route.ref, guarded: null };
  const agent = route.agents[turn % route.agents.length]!;
  return { ref: { agent }, guarded: agent };
}

/**
 * Circuit breakers for the turns of a pattern step (issue 12), which call agents inside one
 * claimed step and so bypass the claim's choice. Before a move, each called participant is
 * routed: a named agent whose breaker is open, or a capability none of whose agents is
 * healthy, parks the whole step (`breaker_open`, as the claim does); a capability goes to a
 * closed agent before a half-open one. Each call's outcome is told to the breaker.
 */
@Injectable()
export class TurnRouting {
  constructor(
    @Inject(AgentPlanner) private readonly planner: AgentPlanner,
    @Inject(AgentBreakerService) private readonly breakers: AgentBreakerService,
    @Inject(AgentWaitService) private readonly waits: AgentWaitService,
  ) {}

  /** Routes per participant name, or `{ blocked }` naming the first participant no agent can serve now. */
  async route(participants: PatternParticipant[]): Promise<Map<string, TurnRoute> | { blocked: string }> {
    const called = participants.filter((p) => !isParkedMember(p));
    const agents = called.map((p) => p.agent).filter((a): a is string => !!a && !isBuiltinName(a));
    const capabilities = called.filter((p) => !p.agent && p.capability).map((p) => p.capability!);
    const routes = new Map<string, TurnRoute>();
    if (agents.length === 0 && capabilities.length === 0) return routes;
    const plan = await this.planner.plan([...new Set(agents)], [...new Set(capabilities)]);
    for (const p of called) {
      if (p.agent) {
        if (plan.open.has(p.agent)) return { blocked: p.agent };
        routes.set(p.name, { ref: { agent: p.agent }, agents: isBuiltinName(p.agent) ? [] : [p.agent] });
        continue;
      }
      const options = plan.byCapability.get(p.capability!) ?? [];
      // No registered agent: the router's own error says so.
      if (options.length === 0) routes.set(p.name, { ref: { capability: p.capability }, agents: [] });
      else {
        const healthy = options.filter((a) => !plan.open.has(a));
        if (healthy.length === 0) return { blocked: `capability:${p.capability}` };
        const closed = healthy.filter((a) => !plan.halfOpen.has(a)).sort();
        routes.set(p.name, { ref: { capability: p.capability }, agents: closed.length > 0 ? closed : healthy.sort() });
      }
    }
    return routes;
  }

  /** Parks the step (its lease given back). False when the lease was lost meanwhile. */
  park(step: ClaimedStep, agent: string): Promise<boolean> {
    return this.waits.parkRunning(step, agent);
  }

  async recordSuccess(agent: string | null): Promise<void> {
    if (agent) await this.breakers.recordSuccess(agent);
  }

  async recordFailure(agent: string | null, error: unknown): Promise<void> {
    if (agent) await this.breakers.recordFailure(agent, error);
  }
}
