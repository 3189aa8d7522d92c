import { Inject, Injectable } from '@nestjs/common';
import { isDatabaseUnavailable } from '@baton/db';
import { OrchestrationDefinitionService, stepSpecOf, type Definition, type StepSpec } from '@baton/definitions';
import { StepTransitionsService, type ClaimedStep, type StepError } from '@baton/runs';
import { TelemetryService } from '@baton/telemetry';
import { BudgetGuard } from './budget-guard.js';
import { DispatchPolicy } from './dispatch-policy.js';
import { StepApprovals } from './step-approvals.js';
import { StepFailure, toStepError } from './step-failure.js';

/** The definition a claimed step belongs to, and the step's own part of it. */
export interface LoadedStep {
  definition: Definition;
  spec: StepSpec;
}

/**
 * What a claim must pass before its kind runs: the step must still be in its definition, the
 * policy set must permit the dispatch, the tree's budget must admit it, and a person must not
 * have rejected its escalation. A refusal is reported here (failed, paused, sent to a person)
 * and spends nothing: no cache lookup, no agent call.
 */
@Injectable()
export class StepAdmission {
  constructor(
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    // step.dispatch (issue 13): the policy set's word before an agent is called.
    @Inject(DispatchPolicy) private readonly dispatch: DispatchPolicy,
    // Budgets (issue 9): admission at the start, on_exceed when a call is refused.
    @Inject(BudgetGuard) private readonly budget: BudgetGuard,
    @Inject(StepApprovals) private readonly approvals: StepApprovals,
    @Inject(TelemetryService) private readonly telemetry: TelemetryService,
  ) {}

  /**
   * The step's definition and spec; null when they cannot be had (the step is failed at once:
   * without its spec there is no retry policy to apply).
   */
  async load(step: ClaimedStep): Promise<LoadedStep | null> {
    try {
      const definition = await this.definitions.getById(step.definitionId);
      const spec = stepSpecOf(definition, step.key);
      if (!spec) throw new StepFailure(`step ${step.key} is not in definition ${definition.id}`, false, 'definition_mismatch');
      this.telemetry.activeSpan().setAttribute('baton.definition', definition.name);
      return { definition, spec };
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error; // not the step's fault: the queue runs it again
      this.telemetry.fail(this.telemetry.activeSpan(), error);
      await this.transitions.fail(step, toStepError(error, step.attempt));
      return null;
    }
  }

  /** True when the step may run; false when it was stopped here (and that is reported). */
  async admit(step: ClaimedStep, { definition, spec }: LoadedStep): Promise<boolean> {
    if (spec.type === 'agent' || spec.type === 'pattern') {
      // Before budgets, caches and the agent: a denied dispatch spends nothing and is not retried.
      const denied = await this.dispatch.denial(step, spec, definition);
      if (denied) return this.refuse(step, denied);
    }
    if (!(await this.budget.admit(step))) return false;
    if (step.wakeReason === 'approval_decided' && spec.type !== 'checkpoint') {
      const rejected = await this.approvals.rejectedEscalation(step);
      if (rejected) return this.refuse(step, rejected);
    }
    return true;
  }

  private async refuse(step: ClaimedStep, error: StepError): Promise<false> {
    await this.transitions.fail(step, error);
    return false;
  }
}
