import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from '@baton/db';
import { EventLogService, type RunEvent } from '@baton/events';
import { RunCompensationService, RunQueryService } from '@baton/runs';
import { ApprovalRepository } from './approval.repository.js';

/** The event that opens a compensation approval (with `escalated: true`). */
export const ESCALATION_EVENT = 'step.compensation_failed';

/**
 * Saga compensation (issue 12): a compensation that exhausted its attempts is `escalated`
 * (libs/runs) and a person decides: retry it with fresh attempts, or give up. The approval is
 * opened from the `step.compensation_failed` event (`escalated: true`) by the durable consumer
 * `approvals.close-on-run-end` (ApprovalDeadlinesService, one reader of the log for both
 * reactions), whose cursor moves in the transaction that inserts it: the runs module does not
 * write this module's table, and a crash between the two cannot lose the question.
 * Re-reading an event opens nothing twice (one approval per compensated step and attempt).
 */
@Injectable()
export class CompensationApprovalsService {
  constructor(
    @Inject(ApprovalRepository) private readonly approvals: ApprovalRepository,
    @Inject(RunCompensationService) private readonly compensations: RunCompensationService,
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
  ) {}

  /** Opens the approval when the compensation is still escalated (a decision or the rollback's deadline may have come first). */
  async open(event: RunEvent, tx: Transaction): Promise<void> {
    const id = event.data.escalated === true && typeof event.data.compensationId === 'string' ? event.data.compensationId : null;
    if (!id) return;
    const c = await this.compensations.findEscalated(id, tx);
    if (!c) return;
    const agent = c.spec.agent ?? (c.spec.capability ? `capability:${c.spec.capability}` : null);
    // Tenancy: the approval carries its run's owner, like every approval.
    const { owner } = await this.runs.getRun(c.runId);
    const { approval, created } = await this.approvals.insertOrGet(
      {
        runId: c.runId, owner, stepId: c.stepId, stepKey: c.stepKey, attempt: c.attempt, kind: 'compensation',
        prompt: `The compensation of step ${c.stepKey} failed ${c.attempt} time(s)${c.error ? `: ${c.error.message}` : ''}. Retry it (approve, or decision "retry") or give up (reject, or "give_up")?`,
        payload: { step: c.stepKey, agent, attempt: c.attempt, error: c.error, choices: ['retry', 'give_up'] },
        schema: null, allowEdit: false, onTimeout: 'reject', timeoutSeconds: null,
      },
      tx,
    );
    if (!created) return;
    await this.events.append(tx, [
      { runId: c.runId, type: 'approval.requested', stepKey: c.stepKey, data: { approvalId: approval.id, kind: approval.kind, prompt: approval.prompt, expiresAt: null } },
    ]);
  }
}
