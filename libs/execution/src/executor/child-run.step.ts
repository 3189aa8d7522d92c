import { Inject, Injectable } from '@nestjs/common';
import { renderTemplate, type StepSpec, type TemplateContext } from '@baton/definitions';
import { BatonError } from '@baton/common';
import { OrchestrationRunFactoryService, RUN_DEPTH_EXCEEDED, StepTransitionsService, type ClaimedStep, type Run } from '@baton/runs';
import { StepFailure } from './step-failure.js';

/**
 * A step of `type: orchestration`: starts a run of another definition and parks itself as
 * waiting. When the child ends, the runs library wakes the step; the next claim lands here
 * again and collects the child's result.
 */
@Injectable()
export class ChildRunStep {
  constructor(
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
  ) {}

  async run(step: ClaimedStep, spec: StepSpec, context: TemplateContext): Promise<void> {
    if (!spec.definition) throw new StepFailure(`step ${spec.id} has no child definition`, false, 'definition_mismatch');
    // startChild finds this attempt's child if there is one (woken, or re-claimed after a
    // crash) and starts it otherwise; a retry is a new attempt and so gets a new child.
    const input = spec.input !== undefined ? renderTemplate(spec.input, context) : context.input;
    const child = await this.factory.startChild(step, spec.definition, input).catch((error: unknown) => {
      // Too deep stays too deep: another attempt would only fail the same way.
      if (error instanceof BatonError && (error.details as { code?: string } | undefined)?.code === RUN_DEPTH_EXCEEDED) {
        throw new StepFailure(error.message, false, RUN_DEPTH_EXCEEDED);
      }
      throw error;
    });
    if (child && isFinished(child)) await this.collect(step, child);
  }

  private async collect(step: ClaimedStep, child: Run): Promise<void> {
    if (child.status === 'completed') {
      await this.transitions.complete(step, child.output);
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
