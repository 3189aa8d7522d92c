import { Inject, Injectable } from '@nestjs/common';
import { AgentCallError, AgentModeRouterService, WORKER_PENDING, isBuiltinName, pendingWorkerJobs, type NodeSelector } from '@baton/agents';
import { renderTemplate, type Definition, type StepSpec, type TemplateContext } from '@baton/definitions';
import { RunBudgetService, StepProgressService, readUsage, type CacheOutcome, type ClaimedStep, type Usage } from '@baton/runs';
import { stepCacheKey } from '../cache/cache-key.js';
import { AgentBreakerService } from '../breakers/agent-breaker.service.js';
import { StepCacheService } from '../cache/step-cache.service.js';
import { ItemProgress } from './item-progress.js';
import { mapWithLimit } from './map-with-limit.js';
import { StepFailure } from './step-failure.js';

/** Items of one for_each step in flight at once. */
const FOR_EACH_PARALLELISM = 8;

/** An answer for a remote agent that asked for input: continues its task. */
export interface AgentReply {
  taskId: string;
  contextId: string;
  data: unknown;
  messageId: string;
}

export interface AgentStepResult {
  output: unknown;
  /** The rendered input (undefined for a for_each step: each item had its own). */
  input: unknown;
  cache: CacheOutcome;
}

interface CallOutcome {
  output: unknown;
  hits: number;
  calls: number;
  key: string | null;
  storedAt: Date | null;
}

/** A step of `type: agent`: render, look in the step cache, call the agent (per item for for_each). */
@Injectable()
export class AgentStep {
  constructor(
    @Inject(AgentModeRouterService) private readonly router: AgentModeRouterService,
    @Inject(StepCacheService) private readonly cache: StepCacheService,
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    @Inject(StepProgressService) private readonly progress: StepProgressService,
    @Inject(AgentBreakerService) private readonly breakers: AgentBreakerService,
  ) {}

  async run(
    step: ClaimedStep,
    spec: StepSpec,
    definition: Definition,
    context: TemplateContext,
    signal: AbortSignal,
    reply?: AgentReply,
  ): Promise<AgentStepResult> {
    if (spec.forEach) return this.runForEach(step, spec, definition, context, signal);
    const input = renderInput(spec, context);
    const outcome = await this.call(step, spec, definition, input, signal, renderPrompt(spec, context), undefined, reply);
    return { output: outcome.output, input, cache: cacheOutcome(outcome) };
  }

  private async runForEach(
    step: ClaimedStep,
    spec: StepSpec,
    definition: Definition,
    context: TemplateContext,
    signal: AbortSignal,
  ): Promise<AgentStepResult> {
    const items = renderTemplate(spec.forEach, context);
    if (!Array.isArray(items)) {
      throw new StepFailure(`for_each rendered to ${items === null ? 'null' : typeof items}, not a list`, false, 'invalid_for_each');
    }
    // Which items are done, running or failed, told as events while the step runs. Items whose
    // worker jobs are still with the nodes do not stop the others from being queued; the step
    // parks on all of them at once (and is woken as each one finishes).
    const progress = new ItemProgress(items.length, (report) => this.progress.itemsProgressed(step, report));
    const pending: string[] = [];
    let results: CallOutcome[];
    try {
      results = await mapWithLimit(items, FOR_EACH_PARALLELISM, async (value, index) => {
        const item = { value, index };
        progress.started(index);
        try {
          const input = renderInput(spec, context, item);
          const outcome = await this.call(step, spec, definition, input, signal, renderPrompt(spec, context, item), index);
          progress.finished(index);
          return outcome;
        } catch (error) {
          const jobs = pendingWorkerJobs(error);
          if (jobs) {
            pending.push(...jobs);
            return { output: null, hits: 0, calls: 0, key: null, storedAt: null };
          }
          progress.finished(index, error);
          throw error;
        }
      });
    } catch (error) {
      await progress.close(!signal.aborted);
      throw error;
    }
    await progress.close(false);
    if (pending.length > 0) {
      throw new AgentCallError(`waiting for worker nodes to run ${pending.length} item(s)`, false, WORKER_PENDING, undefined, { jobIds: pending });
    }
    const hits = results.reduce((n, r) => n + r.hits, 0);
    const calls = results.reduce((n, r) => n + r.calls, 0);
    return {
      output: results.map((r) => r.output),
      input: undefined,
      cache: { key: null, hit: items.length > 0 && calls === 0, hits, storedAt: null },
    };
  }

  /** One agent call, through the step cache when the step has caching on. */
  private async call(
    step: ClaimedStep,
    spec: StepSpec,
    definition: Definition,
    input: unknown,
    signal: AbortSignal,
    prompt: string | undefined,
    itemIndex?: number,
    reply?: AgentReply,
  ): Promise<CallOutcome> {
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function cacheOutcome(outcome: CallOutcome): CacheOutcome {
  return { key: outcome.key, hit: outcome.calls === 0 && outcome.hits > 0, hits: outcome.hits, storedAt: outcome.storedAt };
}

/** No template: the run input for a root step, else the dependencies' outputs by step id. */
export function renderInput(spec: StepSpec, context: TemplateContext, item?: { value: unknown; index: number }): unknown {
  const scoped = item ? { ...context, item: item.value, index: item.index } : context;
  if (spec.input !== undefined) return renderTemplate(spec.input, scoped);
  if (item) return item.value;
  if (spec.dependsOn.length === 0) return context.input;
  return dependencyOutputs(spec, context);
}

export function dependencyOutputs(spec: StepSpec, context: TemplateContext): Record<string, unknown> {
  return Object.fromEntries(spec.dependsOn.map((dep) => [dep, context.steps[dep]?.output ?? null]));
}

function renderPrompt(spec: StepSpec, context: TemplateContext, item?: { value: unknown; index: number }): string | undefined {
  if (spec.prompt === undefined) return undefined;
  const scoped = item ? { ...context, item: item.value, index: item.index } : context;
  const text = renderTemplate(spec.prompt, scoped);
  return typeof text === 'string' ? text : JSON.stringify(text ?? '');
}
