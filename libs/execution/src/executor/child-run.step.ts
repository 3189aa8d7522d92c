import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationDefinitionService, renderTemplate, type Definition, type TemplateContext } from '@baton/definitions';
import { BatonError, type FieldError } from '@baton/common';
import { OrchestrationRunFactoryService, RUN_DEPTH_EXCEEDED, StepTransitionsService, type ClaimedStep, type Run } from '@baton/runs';
import { StepFailure } from './step-failure.js';
import { REPORTED, type FinishIteration, type StepKind, type StepOutcome, type StepRun } from './step-kind.js';

/**
 * A step of `type: orchestration`: starts a run of another definition (or of a runtime plan
 * an upstream agent wrote) and parks itself as waiting. When the child ends, the runs
 * library wakes the step; the next claim lands here again and collects the child's result.
 */
@Injectable()
export class ChildRunStep implements StepKind {
  readonly types = ['orchestration'] as const;

  constructor(
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
  ) {}

  /** A looping step finishes an iteration with the child's output instead of completing. */
  async run({ step, spec, context, finishIteration }: StepRun): Promise<StepOutcome> {
    if (!spec.definition && !spec.plan) throw new StepFailure(`step ${spec.id} has no child definition`, false, 'definition_mismatch');
    // startChild finds this attempt's child if there is one (woken, or re-claimed after a
    // crash) and starts it otherwise; a retry is a new attempt and so gets a new child.
    const input = spec.input !== undefined ? renderTemplate(spec.input, context) : context.input;
    const start = spec.plan
      ? this.factory.startChildOf(step, await this.storePlan(step, spec.plan, context), step.owner, input)
      : this.factory.startChild(step, spec.definition!, input);
    const child = await start.catch((error: unknown) => {
      // Too deep stays too deep: another attempt would only fail the same way.
      if (error instanceof BatonError && (error.details as { code?: string } | undefined)?.code === RUN_DEPTH_EXCEEDED) {
        throw new StepFailure(error.message, false, RUN_DEPTH_EXCEEDED);
      }
      // Tenancy: another owner's definition is not this run's to start; retrying cannot help.
      if (error instanceof BatonError && error.kind === 'forbidden') throw new StepFailure(error.message, false, 'owner_forbidden');
      throw error;
    });
    if (child && isFinished(child)) await this.collect(step, child, input, finishIteration);
    return REPORTED;
  }

  /**
   * Renders the plan and stores it like an inline plan (content-hashed, so a re-claim finds
   * the same row), validated by the same validator as any definition. An invalid plan fails
   * the step without retries: the planner's output will not change by asking again.
   */
  private async storePlan(step: ClaimedStep, template: string, context: TemplateContext): Promise<Definition> {
    const plan = renderTemplate(template, context);
    if (plan === undefined || plan === null || (typeof plan !== 'object' && typeof plan !== 'string') || Array.isArray(plan)) {
      const got = plan === undefined || plan === null ? 'nothing' : Array.isArray(plan) ? 'a list' : `a ${typeof plan}`;
      throw new StepFailure(`plan rendered to ${got}, not a definition`, false, 'invalid_plan');
    }
    try {
      return await this.definitions.registerInline(plan, step.owner);
    } catch (error) {
      if (!(error instanceof BatonError) || error.kind !== 'validation') throw error;
      const errors = (Array.isArray(error.details) ? error.details : []) as FieldError[];
      const listed = errors.slice(0, 5).map((e) => `${e.path || 'plan'}: ${e.message}`).join('; ');
      throw new StepFailure(`the plan is not a valid definition: ${listed || error.message}`, false, 'invalid_plan', { errors });
    }
  }

  private async collect(step: ClaimedStep, child: Run, input: unknown, complete?: FinishIteration): Promise<void> {
    if (child.status === 'completed') {
      if (complete) await complete({ input, output: child.output });
      else await this.transitions.complete(step, child.output);
      return;
    }
    const reason = child.error?.message ?? child.status;
    // A child stopped by the tree's budget would only be stopped again: not worth a retry.
    const overBudget = child.error?.code === 'budget_exceeded';
    const retryable = child.status === 'failed' && !overBudget;
    throw new StepFailure(`child run ${child.id} ${child.status}: ${reason}`, retryable, overBudget ? 'budget_exceeded' : `child_${child.status}`, {
      childRunId: child.id,
    });
  }
}

function isFinished(run: Run): boolean {
  return run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled';
}
