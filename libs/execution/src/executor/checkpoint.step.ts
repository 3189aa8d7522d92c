import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationCheckpointService, type Approval } from '@baton/approvals';
import { renderTemplate } from '@baton/definitions';
import { StepTransitionsService, type ClaimedStep } from '@baton/runs';
import { TelemetryService } from '@baton/telemetry';
import { dependencyOutputs } from './agent.step.js';
import { decisionError } from './step-approvals.js';
import { StepFailure } from './step-failure.js';
import { REPORTED, type StepKind, type StepOutcome, type StepRun } from './step-kind.js';

/**
 * `type: checkpoint`: the step waits for a person. The approval is opened (or found again
 * after a crash); once decided, the woken step lands here to act on the decision. Escalations
 * and agent questions on other steps are `StepApprovals`.
 */
@Injectable()
export class CheckpointStep implements StepKind {
  readonly types = ['checkpoint'] as const;

  constructor(
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(TelemetryService) private readonly telemetry: TelemetryService,
  ) {}

  async run({ step, spec, context }: StepRun): Promise<StepOutcome> {
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
      approvers: checkpoint.approvers ?? null,
      selfApproval: checkpoint.selfApproval ?? true,
      minApprovals: checkpoint.minApprovals ?? 1,
    });
    if (approval.status === 'pending') return REPORTED; // parked until someone decides
    approvalWaitSpan(this.telemetry, step, approval);
    if (approval.status === 'approved') {
      await this.transitions.complete(step, approval.decidedPayload, { input: payload });
      return REPORTED;
    }
    const error = decisionError(approval);
    throw new StepFailure(error.message, false, error.code!, { approvalId: approval.id });
  }
}

/**
 * The approval wait as a span (issue 13), emitted by the claim that acts on the decision: the
 * wait spans processes and perhaps days, so it is written from the approval's own timestamps.
 * Its parent is the run span (the step span that opened it ended when the step parked).
 */
function approvalWaitSpan(telemetry: TelemetryService, step: ClaimedStep, approval: Approval): void {
  if (!telemetry.enabled || !approval.decidedAt) return;
  telemetry.recordSpan(`approval wait ${step.key}`, {
    parent: step.traceContext,
    startTime: approval.createdAt,
    endTime: approval.decidedAt,
    attributes: {
      'baton.run_id': step.runId,
      'baton.step_id': step.id,
      'baton.step_key': step.key,
      'baton.approval_id': approval.id,
      'baton.approval_kind': approval.kind,
      'baton.approval_status': approval.status,
    },
    error: approval.status === 'approved' ? undefined : decisionError(approval),
  });
}
