import { Inject, Injectable, Logger } from '@nestjs/common';
import { AgentModeRouterService } from '@baton/agents';
import { OrchestrationDefinitionService, renderTemplate, type Definition, type StepSpec, type TemplateContext } from '@baton/definitions';
import { RunQueryService, StepTransitionsService, type ClaimedStep } from '@baton/runs';
import { stepCacheKey } from '../cache/cache-key.js';
import { StepCacheService } from '../cache/step-cache.service.js';
import { ChildRunStep } from './child-run.step.js';
import { mapWithLimit } from './map-with-limit.js';
import { backoffDelay } from './retry-policy.js';
import { StepFailure, toStepError } from './step-failure.js';

/** Items of one for_each step in flight at once. */
const FOR_EACH_PARALLELISM = 8;

interface AgentOutcome {
  output: unknown;
  hits: number;
  calls: number;
  key: string | null;
  storedAt: Date | null;
}

/**
 * Runs one claimed step to an outcome and reports it. Every report carries the claim's
 * fencing token, so a step whose lease was lost (or whose run was cancelled) meanwhile is
 * simply refused: the executor never has to decide who won.
 */
@Injectable()
export class OrchestrationStepExecutorService {
  private readonly logger = new Logger('StepExecutor');

  constructor(
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(AgentModeRouterService) private readonly router: AgentModeRouterService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(StepCacheService) private readonly cache: StepCacheService,
    @Inject(ChildRunStep) private readonly childRuns: ChildRunStep,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
  ) {}

  /** `signal` aborts the agent call (run cancelled, lease lost, shutdown). */
  async execute(step: ClaimedStep, signal: AbortSignal): Promise<void> {
    let definition: Definition;
    let spec: StepSpec | undefined;
    try {
      definition = await this.definitions.getById(step.definitionId);
      spec = definition.steps.find((s) => s.id === step.key);
      if (!spec) throw new StepFailure(`step ${step.key} is not in definition ${step.definitionId}`, false, 'definition_mismatch');
    } catch (error) {
      await this.transitions.fail(step, toStepError(error, step.attempt));
      return;
    }
    let input: unknown;
    try {
      const context = await this.templateContext(step, spec);
      if (spec.type === 'orchestration') {
        await this.childRuns.run(step, spec, context);
        return;
      }
      if (spec.type === 'checkpoint') {
        throw new StepFailure('checkpoint steps are not supported by this version of Baton', false, 'unsupported');
      }
      input = spec.forEach ? undefined : this.renderInput(spec, context);
      const outcome = spec.forEach
        ? await this.runForEach(step, spec, definition, context, signal)
        : await this.callAgent(step, spec, definition, input, signal, this.renderPrompt(spec, context));
      await this.transitions.complete(step, outcome.output, {
        input,
        cache: { key: outcome.key, hit: outcome.calls === 0 && outcome.hits > 0, hits: outcome.hits, storedAt: outcome.storedAt },
      });
    } catch (error) {
      if (signal.aborted) return; // cancelled, lease lost or shutting down: whoever stopped us owns the step now
      await this.onFailure(step, spec, error, input);
    }
  }

  private async onFailure(step: ClaimedStep, spec: StepSpec, error: unknown, input: unknown): Promise<void> {
    const stepError = toStepError(error, step.attempt);
    if (stepError.code === 'internal') this.logger.error(`step ${step.runId}/${step.key}: ${(error as Error)?.stack ?? error}`);
    if (stepError.retryable && step.attempt < step.maxAttempts) {
      await this.transitions.retryLater(step, stepError, backoffDelay(spec.retry.backoff, step.attempt), input);
    } else if (spec.retry.allowSkip) {
      await this.transitions.skip(step, stepError, input);
    } else {
      await this.transitions.fail(step, stepError, input);
    }
  }

  private async templateContext(step: ClaimedStep, spec: StepSpec): Promise<TemplateContext> {
    const keys = [...new Set([...spec.dependsOn, ...spec.references])];
    const upstream = await this.runs.upstreamOutputs(step.runId, keys);
    return { input: step.runInput, steps: Object.fromEntries(upstream), run: { id: step.runId } };
  }

  /** No template: the run input for a root step, else the dependencies' outputs by step id. */
  private renderInput(spec: StepSpec, context: TemplateContext, item?: { value: unknown; index: number }): unknown {
    const scoped = item ? { ...context, item: item.value, index: item.index } : context;
    if (spec.input !== undefined) return renderTemplate(spec.input, scoped);
    if (item) return item.value;
    if (spec.dependsOn.length === 0) return context.input;
    return Object.fromEntries(spec.dependsOn.map((dep) => [dep, context.steps[dep]?.output ?? null]));
  }

  private renderPrompt(spec: StepSpec, context: TemplateContext, item?: { value: unknown; index: number }): string | undefined {
    if (spec.prompt === undefined) return undefined;
    const scoped = item ? { ...context, item: item.value, index: item.index } : context;
    const text = renderTemplate(spec.prompt, scoped);
    return typeof text === 'string' ? text : JSON.stringify(text ?? '');
  }

  private async runForEach(
    step: ClaimedStep,
    spec: StepSpec,
    definition: Definition,
    context: TemplateContext,
    signal: AbortSignal,
  ): Promise<AgentOutcome> {
    const items = renderTemplate(spec.forEach, context);
    if (!Array.isArray(items)) {
      throw new StepFailure(`for_each rendered to ${items === null ? 'null' : typeof items}, not a list`, false, 'invalid_for_each');
    }
    const results = await mapWithLimit(items, FOR_EACH_PARALLELISM, (value, index) => {
      const item = { value, index };
      const input = this.renderInput(spec, context, item);
      return this.callAgent(step, spec, definition, input, signal, this.renderPrompt(spec, context, item), index);
    });
    return {
      output: results.map((r) => r.output),
      hits: results.reduce((n, r) => n + r.hits, 0),
      calls: results.reduce((n, r) => n + r.calls, 0),
      key: null,
      storedAt: null,
    };
  }

  /** One agent call, through the step cache when the step has caching on. */
  private async callAgent(
    step: ClaimedStep,
    spec: StepSpec,
    definition: Definition,
    input: unknown,
    signal: AbortSignal,
    prompt: string | undefined,
    itemIndex?: number,
  ): Promise<AgentOutcome> {
    const key = spec.cache.enabled
      ? stepCacheKey({
          definitionId: definition.id,
          definitionVersion: definition.version,
          owner: step.owner,
          stepId: spec.id,
          agent: spec.agent ?? `capability:${spec.capability}`,
          input,
        })
      : null;
    if (key) {
      const cached = await this.cache.get(key);
      if (cached) return { output: cached.output, hits: 1, calls: 0, key, storedAt: cached.storedAt };
    }
    const output = await this.router.invoke(
      { agent: spec.agent, capability: spec.capability },
      input,
      { runId: step.runId, stepId: step.id, stepKey: step.key, attempt: step.attempt, itemIndex, prompt },
      { signal, timeoutMs: spec.timeoutSeconds ? spec.timeoutSeconds * 1000 : undefined },
    );
    if (!key) return { output, hits: 0, calls: 1, key: null, storedAt: null };
    const stored = await this.cache.put(key, output, definition.id, spec.id, spec.cache.ttlSeconds);
    return { output, hits: 0, calls: 1, key, storedAt: stored.storedAt };
  }
}
