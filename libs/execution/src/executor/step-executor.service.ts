import { Inject, Injectable, Logger } from '@nestjs/common';
import { AgentCallError, WorkerAgentClient, pendingWorkerJobs } from '@baton/agents';
import { isDatabaseUnavailable } from '@baton/db';
import { OrchestrationDefinitionService, type Definition, type StepSpec, type TemplateContext } from '@baton/definitions';
import { BudgetExceededError, RunQueryService, StepTransitionsService, type ClaimedStep } from '@baton/runs';
import { CompletionBuffer } from '../queue/completion-buffer.service.js';
import { AgentStep } from './agent.step.js';
import { BudgetGuard } from './budget-guard.js';
import { CheckpointStep, type AgentQuestion } from './checkpoint.step.js';
import { ChildRunStep } from './child-run.step.js';
import { ControlFlowStep } from './control-flow.step.js';
import { PatternStep } from './pattern.step.js';
import { backoffDelay } from './retry-policy.js';
import { StepFailure, toStepError } from './step-failure.js';
import { WaitStep } from './wait.step.js';

/**
 * Runs one claimed step to an outcome and reports it. Every report carries the claim's
 * fencing token, so a step whose lease was lost (or whose run was cancelled) meanwhile is
 * simply refused: the executor never has to decide who won.
 */
@Injectable()
export class OrchestrationStepExecutorService {
  private readonly logger = new Logger('StepExecutor');
  /** Step specs by definition id and step id: a definition version never changes. */
  private readonly specs = new Map<string, Map<string, StepSpec>>();

  constructor(
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(AgentStep) private readonly agentStep: AgentStep,
    @Inject(ChildRunStep) private readonly childRuns: ChildRunStep,
    @Inject(CheckpointStep) private readonly checkpoints: CheckpointStep,
    @Inject(CompletionBuffer) private readonly completions: CompletionBuffer,
    @Inject(ControlFlowStep) private readonly flow: ControlFlowStep,
    @Inject(PatternStep) private readonly patterns: PatternStep,
    // Budgets (issue 9): admission at the start, on_exceed when a call is refused.
    @Inject(BudgetGuard) private readonly budget: BudgetGuard,
    @Inject(WaitStep) private readonly waits: WaitStep,
    @Inject(WorkerAgentClient) private readonly workers: WorkerAgentClient,
  ) {}

  /** `signal` aborts the agent call (run cancelled, lease lost, shutdown). */
  async execute(step: ClaimedStep, signal: AbortSignal): Promise<void> {
    let definition: Definition;
    let spec: StepSpec;
    try {
      definition = await this.definitions.getById(step.definitionId);
      spec = this.specOf(definition, step.key);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error; // not the step's fault: the queue runs it again
      await this.transitions.fail(step, toStepError(error, step.attempt));
      return;
    }
    let input: unknown;
    try {
      if (!(await this.budget.admit(step))) return;
      if (step.wakeReason === 'approval_decided' && spec.type !== 'checkpoint') {
        const rejected = await this.checkpoints.rejectedEscalation(step);
        if (rejected) {
          await this.transitions.fail(step, rejected);
          return;
        }
      }
      const context = await this.templateContext(step, spec);
      if (await this.flow.skipped(step, spec, context)) return;
      const loop = spec.loop ? (result: { input: unknown; output: unknown }) => this.flow.afterIteration(step, spec, context, result) : undefined;
      if (spec.type === 'orchestration') return await this.childRuns.run(step, spec, context, loop);
      if (spec.type === 'checkpoint') return await this.checkpoints.run(step, spec, context);
      if (spec.type === 'pattern') return await this.patterns.run(step, spec, definition, context, signal);
      if (spec.type === 'wait') return await this.waits.run(step, spec, context);
      // Woken (or recovered) after a person answered a remote agent's question: continue it.
      const answered = step.wakeReason ? await this.checkpoints.agentReply(step) : null;
      if (answered && 'error' in answered) return void (await this.transitions.fail(step, answered.error));
      const result = await this.agentStep.run(step, spec, definition, context, signal, answered?.reply);
      input = result.input;
      if (loop) await loop(result);
      else await this.completions.complete({ step, output: result.output, input, cache: result.cache });
    } catch (error) {
      if (signal.aborted) return; // cancelled, lease lost or shutting down: whoever stopped us owns the step now
      // The database went away (a read, a cache lookup): not a failure of the step. The queue
      // keeps the claim and runs the step again once the database is back.
      if (isDatabaseUnavailable(error)) throw error;
      if (error instanceof BudgetExceededError) return void (await this.budget.onExceeded(step, error));
      const jobs = pendingWorkerJobs(error);
      if (jobs) return await this.parkOnWorkers(step, jobs, signal);
      const question = agentQuestion(error);
      if (question && !spec.forEach) return void (await this.checkpoints.askForAgentInput(step, spec.agent ?? spec.capability ?? 'agent', question));
      await this.onFailure(step, spec, error, input);
    }
  }

  /**
   * The step's worker jobs are with the nodes: park it (no slot, no lease) until one
   * finishes. A job finished just now cannot be missed: the park holds the open jobs, and if
   * none is open the step runs again at once and reads the outcomes.
   */
  private async parkOnWorkers(step: ClaimedStep, jobIds: string[], signal: AbortSignal): Promise<void> {
    const outcome = await this.workers.parkUnlessFinished(jobIds, (tx) => this.transitions.parkForWorker(step, { jobIds }, tx));
    if (outcome === 'finished' && !signal.aborted) await this.execute(step, signal);
  }

  /** Retry with backoff while attempts remain; then skip, escalate to a person, or fail. */
  private async onFailure(step: ClaimedStep, spec: StepSpec, error: unknown, input: unknown): Promise<void> {
    const stepError = toStepError(error, step.attempt);
    if (stepError.code === 'internal') this.logger.error(`step ${step.runId}/${step.key}: ${(error as Error)?.stack ?? error}`);
    const decided = stepError.code === 'checkpoint_rejected' || stepError.code === 'checkpoint_timeout';
    if (stepError.retryable && step.attempt < step.maxAttempts) {
      await this.transitions.retryLater(step, stepError, backoffDelay(spec.retry.backoff, step.attempt), input);
    } else if (spec.retry.allowSkip) {
      await this.transitions.skip(step, stepError, input);
    } else if (spec.retry.notifyHuman && !decided && (await this.checkpoints.escalate(step, stepError, input))) {
      return; // waiting for a person to approve a retry or reject
    } else {
      await this.transitions.fail(step, stepError, input);
    }
  }

  private specOf(definition: Definition, key: string): StepSpec {
    let byId = this.specs.get(definition.id);
    if (!byId) {
      byId = new Map(definition.steps.map((s) => [s.id, s]));
      if (this.specs.size > 1000) this.specs.clear();
      this.specs.set(definition.id, byId);
    }
    const spec = byId.get(key);
    if (!spec) throw new StepFailure(`step ${key} is not in definition ${definition.id}`, false, 'definition_mismatch');
    return spec;
  }

  private async templateContext(step: ClaimedStep, spec: StepSpec): Promise<TemplateContext> {
    // A looping step also reads itself: its earlier iterations' outputs.
    const keys = [...new Set([...spec.dependsOn, ...spec.references, ...(spec.loop ? [spec.id] : [])])];
    const upstream = keys.length > 0 ? await this.runs.upstreamOutputs(step.runId, keys) : new Map();
    const context: TemplateContext = { input: step.runInput, steps: Object.fromEntries(upstream), run: { id: step.runId } };
    if (step.iteration !== null) context.iteration = step.iteration;
    return context;
  }
}

/** A remote agent's question (A2A INPUT_REQUIRED), when that is what the error is. */
function agentQuestion(error: unknown): AgentQuestion | null {
  if (!(error instanceof AgentCallError) || error.code !== 'input_required') return null;
  const details = error.details as Partial<AgentQuestion> | undefined;
  if (!details?.taskId) return null;
  return { taskId: details.taskId, contextId: details.contextId ?? '', question: details.question ?? null };
}
