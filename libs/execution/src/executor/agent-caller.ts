import { Inject, Injectable } from '@nestjs/common';
import { AgentModeRouterService, isBuiltinName, type NodeSelector } from '@baton/agents';
import type { Definition, StepSpec } from '@baton/definitions';
import { RunBudgetService, readUsage, type CacheOutcome, type ClaimedStep, type Usage } from '@baton/runs';
import { AgentBreakerService } from '../breakers/agent-breaker.service.js';
import { stepCacheKey } from '../cache/cache-key.js';
import { StepCacheService } from '../cache/step-cache.service.js';
import type { AgentReply } from './step-approvals.js';

/** One agent call's result, with what the step cache did for it. */
export interface CallOutcome {
  output: unknown;
  hits: number;
  calls: number;
  key: string | null;
  storedAt: Date | null;
}

/** What the call is, beyond its input: which item, the prompt, a person's reply. */
export interface CallShape {
  prompt: string | undefined;
  itemIndex?: number;
  reply?: AgentReply;
}

/**
 * One agent call of an agent step: through the step cache, inside the tree's budget, told to
 * the agent's circuit breaker. Where it runs (in process for built-ins, A2A, a worker node) is
 * the mode router's business; a worker node's pending job comes back as `WORKER_PENDING`.
 */
@Injectable()
export class AgentCaller {
  constructor(
    @Inject(AgentModeRouterService) private readonly router: AgentModeRouterService,
    @Inject(StepCacheService) private readonly cache: StepCacheService,
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    @Inject(AgentBreakerService) private readonly breakers: AgentBreakerService,
  ) {}

  /** One agent call, through the step cache when the step has caching on. */
  async call(step: ClaimedStep, spec: StepSpec, definition: Definition, input: unknown, signal: AbortSignal, shape: CallShape): Promise<CallOutcome> {
    const { prompt, itemIndex, reply } = shape;
    // A conversation with a person in the loop is not a repeatable call: never cached.
    const key = spec.cache.enabled && !reply
      ? stepCacheKey({
          definitionId: definition.id,
          definitionVersion: definition.version,
          owner: step.owner,
          stepId: spec.id,
          agent: spec.agent ?? `capability:${spec.capability}`,
          input,
          prompt,
        })
      : null;
    if (key) {
      const cached = await this.cache.get(key);
      if (cached) return { output: cached.output, hits: 1, calls: 0, key, storedAt: cached.storedAt };
    }
    const output = await this.invoke(step, spec, input, signal, { itemIndex, prompt, reply, ...(spec.node ? { node: spec.node } : {}) });
    if (!key) return { output, hits: 0, calls: 1, key: null, storedAt: null };
    const stored = await this.cache.put(key, output, definition.id, spec.id, spec.cache.ttlSeconds);
    return { output, hits: 0, calls: 1, key, storedAt: stored.storedAt };
  }

  /**
   * The agent call itself: the agent chosen at the claim (`servedBy`: the named agent, or the
   * one picked for the capability), inside the tree's budget (a reservation before it starts,
   * which may wait for calls in flight or throw BudgetExceededError; what it spent settled
   * after, from the output's `usage` or the client's report), and told to the agent's circuit
   * breaker. Built-ins have no breaker.
   */
  private async invoke(
    step: ClaimedStep,
    spec: StepSpec,
    input: unknown,
    signal: AbortSignal,
    call: { itemIndex?: number; prompt?: string; reply?: AgentReply; node?: NodeSelector },
  ): Promise<unknown> {
    const agent = step.servedBy ?? spec.agent;
    const ref = agent ? { agent } : { capability: spec.capability };
    const guarded = agent && !isBuiltinName(agent) ? agent : null;
    const reservation = await this.budgets.reserveCall(step, signal);
    let usage: Usage | null = null;
    let completed = false;
    try {
      const output = await this.router.invoke(
        ref,
        input,
        {
          runId: step.runId, stepId: step.id, stepKey: step.key, attempt: step.attempt, ...call,
          onUsage: (reported) => (usage = readUsage(reported) ?? usage),
        },
        { signal, timeoutMs: spec.timeoutSeconds ? spec.timeoutSeconds * 1000 : undefined },
      );
      usage = readUsage(isRecord(output) ? output.usage : undefined) ?? usage;
      completed = true;
      if (guarded) await this.breakers.recordSuccess(guarded);
      return output;
    } catch (error) {
      if (guarded && !signal.aborted) await this.breakers.recordFailure(guarded, error);
      throw error;
    } finally {
      await this.budgets.settleCall(reservation, usage, completed);
    }
  }
}

export function cacheOutcome(outcome: CallOutcome): CacheOutcome {
  return { key: outcome.key, hit: outcome.calls === 0 && outcome.hits > 0, hits: outcome.hits, storedAt: outcome.storedAt };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
