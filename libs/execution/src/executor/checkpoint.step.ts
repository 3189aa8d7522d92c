import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationCheckpointService, type Approval } from '@baton/approvals';
import { renderTemplate, type StepSpec, type TemplateContext } from '@baton/definitions';
import { StepTransitionsService, type ClaimedStep, type StepError } from '@baton/runs';
import { dependencyOutputs } from './agent.step.js';
import { StepFailure } from './step-failure.js';

/**
 * Steps that wait for a person: `type: checkpoint`, and any step whose failure escalates
 * through `notify_human`. The approval is opened (or found again after a crash); once
 * decided, the woken step lands here to act on the decision.
 */
@Injectable()
export class CheckpointStep {
  constructor(
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
  ) {}

  async run(step: ClaimedStep, spec: StepSpec, context: TemplateContext): Promise<void> {
    const checkpoint = spec.checkpoint ?? { onTimeout: 'fail' as const, allowEdit: false };
    const payload = checkpoint.payload !== undefined ? renderTemplate(checkpoint.payload, context) : dependencyOutputs(spec, context);
    const prompt = checkpoint.prompt !== undefined ? String(renderTemplate(checkpoint.prompt, context) ?? '') : null;
    const approval = await this.checkpoints.ensure(step, {
      kind: 'checkpoint',
      prompt,
      payload,
      schema: checkpoint.schema ?? null,
      allowEdit: checkpoint.allowEdit,
      onTimeout: checkpoint.onTimeout,
      timeoutSeconds: checkpoint.timeoutSeconds ?? null,
    });
    if (approval.status === 'pending') return; // parked until someone decides
    if (approval.status === 'approved') {
      await this.transitions.complete(step, approval.decidedPayload, { input: payload });
      return;
    }
    throw decisionFailure(approval);
  }

  /**
   * A step that failed for good under `notify_human`: ask a person instead of failing.
   * Approve re-runs the step as a new attempt; reject fails it. Returns false when the
   * person already rejected this attempt (the caller then fails the step).
   */
  async escalate(step: ClaimedStep, error: StepError, input: unknown): Promise<boolean> {
    const approval = await this.checkpoints.ensure(step, {
      kind: 'failure',
      prompt: `Step ${step.key} failed after ${step.attempt} attempt(s): ${error.message}. Approve to retry it, reject to fail it.`,
      payload: { error, input: input ?? null },
      schema: null,
      allowEdit: false,
      onTimeout: 'fail',
      timeoutSeconds: null,
    });
    return approval.status === 'pending';
  }

  /** The decision on this attempt's failure escalation, if a person rejected it. */
  async rejectedEscalation(step: ClaimedStep): Promise<StepError | null> {
    const approval = await this.checkpoints.forStep(step.id, step.attempt, 'failure');
    if (!approval || approval.status === 'pending' || approval.status === 'approved') return null;
    return { ...decisionError(approval), attempt: step.attempt };
  }
}

function decisionError(approval: Approval): StepError {
  const by = approval.decidedBy?.name ?? 'unknown';
  if (approval.status === 'expired') {
    return { message: `no decision on checkpoint ${approval.stepKey} before its deadline`, code: 'checkpoint_timeout', retryable: false };
  }
  const comment = approval.comment ? `: ${approval.comment}` : '';
  return { message: `rejected by ${by}${comment}`, code: 'checkpoint_rejected', retryable: false };
}

function decisionFailure(approval: Approval): StepFailure {
  const error = decisionError(approval);
  return new StepFailure(error.message, false, error.code!, { approvalId: approval.id });
}
