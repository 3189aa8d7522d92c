import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationCheckpointService } from '@baton/approvals';
import {
  BudgetExceededError,
  RunBudgetService,
  StepLeaseService,
  StepTransitionsService,
  proposedLimits,
  type ClaimedStep,
  type StepError,
} from '@baton/runs';

/** The error code of a step (and run) stopped by its budget. */
export const BUDGET_EXCEEDED = 'budget_exceeded';

/**
 * Budgets at the executor (issue 9): admits each step against its tree's budget when it
 * starts and carries out `on_exceed` when the budget stops a step or one of its agent calls:
 *
 * - `fail`: the step fails, and the root run of the tree fails with `budget_exceeded`.
 * - `pause`: the tree's runs are paused and the step goes back to the queue without spending
 *   its attempt; after the budget is raised, resuming the root run continues it.
 * - `ask`: an approval of kind `budget` on the step, proposing raised limits (the decider may
 *   edit them). Approving raises the budget in the decision's transaction and wakes the step;
 *   rejecting fails it like `fail`.
 */
@Injectable()
export class BudgetGuard {
  constructor(
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(StepLeaseService) private readonly leases: StepLeaseService,
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
  ) {}

  /** True when the step may run; false when its budget stopped it (on_exceed is done). */
  async admit(step: ClaimedStep): Promise<boolean> {
    // A parent step woken to collect its child run's result starts nothing new.
    if (step.wakeReason === 'child_finished') return true;
    if (step.wakeReason === 'approval_decided') {
      const refused = await this.refusedRaise(step);
      if (refused) {
        await this.fail(step, refused);
        return false;
      }
    }
    try {
      await this.budgets.admitStep(step);
      return true;
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) throw error;
      await this.onExceeded(step, error);
      return false;
    }
  }

  /** Carries out the budget's `on_exceed` for a step it stopped. */
  async onExceeded(step: ClaimedStep, error: BudgetExceededError): Promise<void> {
    if (error.onExceed === 'pause') {
      await this.budgets.pauseTree(error.rootRunId);
      await this.leases.release(step);
      return;
    }
    if (error.onExceed === 'ask') {
      await this.ask(step, error);
      return;
    }
    await this.fail(step, { message: error.message, code: BUDGET_EXCEEDED, retryable: false, attempt: step.attempt, details: { limit: error.limit } });
  }

  /**
   * One approval per time the budget stops this attempt: a step stopped again after an
   * approved raise opens the next round; a step re-claimed while one is pending finds it.
   */
  private async ask(step: ClaimedStep, error: BudgetExceededError): Promise<void> {
    const latest = await this.checkpoints.forStep(step.id, step.attempt, 'budget');
    const round = !latest ? 0 : latest.status === 'pending' ? latest.round : latest.round + 1;
    await this.checkpoints.ensure(step, {
      kind: 'budget',
      round,
      prompt: `${error.message} at step ${step.key}. Approve to raise the budget to the limits in the payload (edit them first if you like); reject to fail the run.`,
      payload: proposedLimits(error.state, error.limit),
      schema: null,
      allowEdit: true,
      onTimeout: 'reject',
      timeoutSeconds: null,
    });
  }

  /** The error for a step whose latest budget approval was rejected (or expired); null otherwise. */
  private async refusedRaise(step: ClaimedStep): Promise<StepError | null> {
    const approval = await this.checkpoints.forStep(step.id, step.attempt, 'budget');
    if (!approval || approval.status === 'approved' || approval.status === 'pending' || approval.status === 'cancelled') return null;
    const by = approval.decidedBy?.name ?? 'nobody';
    const why = approval.comment ? `: ${approval.comment}` : '';
    return { message: `budget exceeded and the raise was ${approval.status} by ${by}${why}`, code: BUDGET_EXCEEDED, retryable: false, attempt: step.attempt };
  }

  /** Fails the step, then the root run of its tree (a no-op when the step's run is the root). */
  private async fail(step: ClaimedStep, error: StepError): Promise<void> {
    await this.transitions.fail(step, error);
    await this.budgets.failTree(step.runId, { ...error, stepKey: step.key });
  }
}
