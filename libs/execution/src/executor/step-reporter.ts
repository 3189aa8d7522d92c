import { Inject, Injectable, Logger } from '@nestjs/common';
import { WorkerAgentClient, pendingWorkerJobs } from '@baton/agents';
import { isDatabaseUnavailable } from '@baton/db';
import type { StepSpec } from '@baton/definitions';
import { BudgetExceededError, StepTransitionsService, type ClaimedStep } from '@baton/runs';
import { TelemetryService } from '@baton/telemetry';
import { CompletionBuffer } from '../queue/completion-buffer.service.js';
import { BudgetGuard } from './budget-guard.js';
import { backoffDelay } from './retry-policy.js';
import { StepApprovals, agentQuestion } from './step-approvals.js';
import { toStepError } from './step-failure.js';
import type { StepOutcome, StepRun } from './step-kind.js';

/** What the executor does after a failure was handled: nothing, or claim-run the step again. */
export type AfterFailure = 'handled' | 'run_again';

/**
 * Reports how a claim ended: a kind's result (a batched completion, or a loop's iteration), or
 * anything it threw, which is sorted into a wait (budget, worker nodes, a person) or a failure
 * under the step's retry policy. Every report carries the claim's fencing token.
 */
@Injectable()
export class StepReporter {
  private readonly logger = new Logger('StepExecutor');

  constructor(
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(CompletionBuffer) private readonly completions: CompletionBuffer,
    @Inject(BudgetGuard) private readonly budget: BudgetGuard,
    @Inject(WorkerAgentClient) private readonly workers: WorkerAgentClient,
    @Inject(StepApprovals) private readonly approvals: StepApprovals,
    @Inject(TelemetryService) private readonly telemetry: TelemetryService,
  ) {}

  async completed(run: StepRun, outcome: Extract<StepOutcome, { status: 'done' }>): Promise<void> {
    const { input, output, cache } = outcome;
    if (run.finishIteration) await run.finishIteration({ input, output });
    else await this.completions.complete({ step: run.step, output, input, cache });
  }

  /** `input` is the rendered input when the kind got that far (recorded with the failure). */
  async failed(step: ClaimedStep, spec: StepSpec, error: unknown, input: unknown, signal: AbortSignal): Promise<AfterFailure> {
    if (signal.aborted) return 'handled'; // cancelled, lease lost or shutting down: whoever stopped us owns the step now
    // The database went away (a read, a cache lookup): not a failure of the step. The queue
    // keeps the claim and runs the step again once the database is back.
    if (isDatabaseUnavailable(error)) throw error;
    if (error instanceof BudgetExceededError) {
      await this.budget.onExceeded(step, error);
      return 'handled';
    }
    const jobs = pendingWorkerJobs(error);
    if (jobs) return this.parkOnWorkers(step, jobs, signal);
    const question = agentQuestion(error);
    if (question && !spec.forEach) {
      await this.approvals.askForAgentInput(step, spec.agent ?? spec.capability ?? 'agent', question);
      return 'handled';
    }
    // A parked wait (worker jobs, a question) is not a failure; this is, even when retried.
    this.telemetry.fail(this.telemetry.activeSpan(), error);
    await this.onFailure(step, spec, error, input);
    return 'handled';
  }

  /**
   * The step's worker jobs are with the nodes: park it (no slot, no lease) until one
   * finishes. A job finished just now cannot be missed: the park holds the open jobs, and if
   * none is open the step runs again at once and reads the outcomes.
   */
  private async parkOnWorkers(step: ClaimedStep, jobIds: string[], signal: AbortSignal): Promise<AfterFailure> {
    const outcome = await this.workers.parkUnlessFinished(jobIds, (tx) => this.transitions.parkForWorker(step, { jobIds }, tx));
    return outcome === 'finished' && !signal.aborted ? 'run_again' : 'handled';
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
    } else if (spec.retry.notifyHuman && !decided && (await this.approvals.escalate(step, stepError, input))) {
      return; // waiting for a person to approve a retry or reject
    } else {
      await this.transitions.fail(step, stepError, input);
    }
  }
}
