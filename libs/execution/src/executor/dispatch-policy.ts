import { Inject, Injectable } from '@nestjs/common';
import { AgentRegistryService } from '@baton/agents';
import type { Definition, StepSpec } from '@baton/definitions';
import { PolicyAuthorizer } from '@baton/policy';
import type { ClaimedStep, StepError } from '@baton/runs';

/**
 * `step.dispatch` (issue 13): asked once per claim of an agent step, before the agent is
 * called — may this agent run this step of this definition? Principal the agent
 * (`Baton::Agent::"<name>"`, role `agent`, its registered capabilities), resource the
 * definition (name, version, owner), context the step and the run's owner. Cedar runs in
 * process and the agent comes from the registry's cache, so the cost is one WebAssembly call.
 * A deny is logged (decision log) and becomes a non-retryable `policy_denied` step error.
 */
@Injectable()
export class DispatchPolicy {
  constructor(
    @Inject(PolicyAuthorizer) private readonly authorizer: PolicyAuthorizer,
    @Inject(AgentRegistryService) private readonly agents: AgentRegistryService,
  ) {}

  /**
   * The error to fail the step with, or null when the dispatch is permitted. An agent step asks
   * for its agent; a pattern step for each member that is an agent (members that are child
   * definitions or teams are asked when their own runs' steps are claimed).
   */
  async denial(step: ClaimedStep, spec: StepSpec, definition: Definition): Promise<StepError | null> {
    if (spec.type === 'pattern') {
      for (const member of spec.pattern?.agents ?? []) {
        if (!member.agent && !member.capability) continue;
        const denied = await this.ask(step, spec, definition, member.agent ?? null, member.capability ?? null);
        if (denied) return denied;
      }
      return null;
    }
    return this.ask(step, spec, definition, step.servedBy ?? spec.agent ?? null, spec.capability ?? null);
  }

  private async ask(step: ClaimedStep, spec: StepSpec, definition: Definition, agentName: string | null, capability: string | null): Promise<StepError | null> {
    // No agent chosen yet (a capability the router resolves at call time): the principal
    // names the capability, and has none of an agent's own.
    const name = agentName ?? `capability:${capability ?? ''}`;
    const agent = agentName ? await this.agents.find(agentName) : undefined;
    const decision = this.authorizer.decide({
      principal: { type: 'Agent', id: name, name, role: 'agent', owner: '', capabilities: agent?.capabilities ?? [] },
      action: 'step.dispatch',
      resource: { type: 'Definition', id: `${definition.name}@${definition.version}`, attrs: { name: definition.name, version: definition.version, owner: definition.owner } },
      context: { runId: step.runId, stepId: spec.id, stepType: spec.type, capability: capability ?? '', runOwner: step.owner },
    });
    if (decision.allowed) return null;
    return {
      message: `policy version ${decision.version} does not permit agent ${name} to run step ${spec.id} of ${definition.name}@${definition.version}`,
      code: 'policy_denied',
      retryable: false,
      attempt: step.attempt,
      details: { action: 'step.dispatch', agent: name, policyVersion: decision.version, reasons: decision.reasons, errors: decision.errors },
    };
  }
}
