import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { BatonError, assertOwnerReaches, type FieldError } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import { EventLogService } from '@baton/events';
import type { Principal } from '@baton/identity';
import { RunBudgetService, RunCompensationService, StepTransitionsService, type ClaimedStep } from '@baton/runs';
import { ApprovalAccess, callerKey, deciderOf } from './approval-access.js';
import { ApprovalDecisionRepository } from './approval-decision.repository.js';
import { ApprovalRepository } from './approval.repository.js';
import type { Approval, ApprovalFilter, ApprovalStatus, ApprovalVote, Decider, DecisionInput, NewApproval } from './approval.types.js';

export const TIMEOUT_DECIDER: Decider = { name: 'system:timeout' };

const ajv = new Ajv({ strict: false, allErrors: true });

/**
 * Human checkpoints. Opening one parks the step (slot released, run waiting) in the same
 * transaction that stores the approval; a decision stores itself and wakes the step in one
 * transaction too, so neither a crash nor a restart can lose or double a decision.
 */
@Injectable()
export class OrchestrationCheckpointService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ApprovalRepository) private readonly approvals: ApprovalRepository,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    @Inject(ApprovalAccess) private readonly access: ApprovalAccess,
    @Inject(ApprovalDecisionRepository) private readonly votes: ApprovalDecisionRepository,
    // A compensation approval resolves the escalated compensation instead of waking a step.
    @Inject(RunCompensationService) private readonly compensations: RunCompensationService,
  ) {}

  /**
   * Opens the approval for this step attempt, or finds the one already open (the step was
   * re-claimed after a crash). A pending approval leaves the step waiting; a decided one is
   * returned for the caller to act on.
   */
  async ensure(step: ClaimedStep, request: Omit<NewApproval, 'runId' | 'stepId' | 'stepKey' | 'attempt' | 'owner'>): Promise<Approval> {
    // The run's owner (carried by the claim) is copied onto the approval for tenancy.
    const { owner } = step;
    return this.db.transaction(async (tx) => {
      const { approval, created } = await this.approvals.insertOrGet(
        { ...request, owner, runId: step.runId, stepId: step.id, stepKey: step.key, attempt: step.attempt },
        tx,
      );
      if (approval.status !== 'pending') return approval;
      if (!(await this.transitions.waitForApproval(step, { approvalId: approval.id, kind: approval.kind }, tx))) return approval;
      if (created) {
        await this.events.append(tx, [
          {
            runId: step.runId,
            type: 'approval.requested',
            stepKey: step.key,
            data: { approvalId: approval.id, kind: approval.kind, prompt: approval.prompt, expiresAt: approval.expiresAt },
          },
        ]);
      }
      return approval;
    });
  }

  forStep(stepId: string, attempt: number, kind: Approval['kind']): Promise<Approval | null> {
    return this.approvals.forStep(stepId, attempt, kind);
  }

  /**
   * One approval. With `caller`, another owner's approval is a 404 to a token bound to an
   * owner (tenancy, issue 13), the same answer as a missing one.
   */
  async get(id: string, caller?: Principal): Promise<Approval> {
    const approval = await this.approvals.findById(id);
    if (!approval) throw BatonError.notFound('approval', id);
    if (caller) assertOwnerReaches(boundOwner(caller), approval.owner, 'approval', id);
    return approval;
  }

  /** The inbox; with `caller`, a bound token's own owner's approvals only. */
  list(filter: ApprovalFilter, caller?: Principal): Promise<Approval[]> {
    const bound = caller ? boundOwner(caller) : undefined;
    return this.approvals.list(bound === undefined ? filter : { ...filter, owner: bound });
  }

  /** Every decision recorded so far on each approval (a quorum's votes), oldest first. */
  decisionsFor(approvalIds: string[]): Promise<Map<string, ApprovalVote[]>> {
    return this.votes.forApprovals(approvalIds);
  }

  countPending(): Promise<number> {
    return this.approvals.countPending();
  }

  /**
   * Records a decision and, once it settles the approval, wakes the step. Who may decide is
   * `ApprovalAccess`'s rule (Cedar, then the checkpoint's approvers and self-approval). Every
   * decision is a row of approval_decisions; with `min_approvals` > 1 an approve that leaves
   * the quorum short returns the approval still pending, one reject rejects. A decider counts
   * once (409 on a second decision); a settled approval answers 409 too.
   */
  async decide(id: string, given: DecisionInput, caller: Principal): Promise<Approval> {
    const current = await this.get(id, caller);
    // `retry` / `give_up` (a compensation approval's words) are approve / reject.
    const input = plainDecision(current, given);
    await this.access.assertMayDecide(current, caller, input.decision);
    if (current.status !== 'pending') throw alreadyDecided(current);
    const decider = deciderOf(caller);
    const payload = this.checkedPayload(current, input);
    // A budget approval carries the new limits: refused (400) before anything is decided.
    if (current.kind === 'budget' && input.decision === 'approve') this.budgets.parseLimits(payload);
    const status = input.decision === 'approve' ? 'approved' : 'rejected';
    const fields = { decision: input.decision, comment: input.comment ?? null, payload, decidedBy: decider };
    const vote = { decision: input.decision, deciderKey: voterKey(caller), decidedBy: decider, comment: fields.comment };
    const decided = await this.db.transaction(async (tx) => {
      // The row lock orders concurrent deciders: each counts the votes before it.
      const open = await this.approvals.lockOpen(current.id, tx);
      if (!open) return 'lost' as const;
      if (!(await this.votes.record(current.id, vote, tx))) return 'twice' as const;
      // Short of the quorum: answer the approval as this decision left it (still pending),
      // even if another decider settles it the moment this transaction commits.
      if (input.decision === 'approve' && (await this.votes.countApprovals(current.id, tx)) < current.minApprovals) return { short: open };
      const applied = await this.apply(tx, current, status, fields);
      // The run ended meanwhile: the approval is cancelled and this decision acted on nothing.
      if (applied === 'gone') await this.votes.remove(current.id, vote.deciderKey, tx);
      return applied;
    });
    if (typeof decided === 'object' && 'short' in decided) return decided.short;
    if (decided === 'twice') throw new BatonError('conflict', `${decider.name} already decided approval ${id}; each decider counts once`);
    if (decided === 'lost') throw alreadyDecided(await this.get(id));
    if (decided === 'gone') {
      throw new BatonError('invalid_state', `run ${current.runId} is no longer waiting for this decision (the approval is now cancelled)`);
    }
    return decided;
  }

  /** Applies the `on_timeout` of every approval past its deadline. Returns how many. */
  async expireDue(limit = 50): Promise<number> {
    return this.db.transaction(async (tx) => {
      const due = await this.approvals.lockExpired(limit, tx);
      for (const approval of due) {
        const action = approval.onTimeout;
        const status = action === 'approve' ? 'approved' : action === 'reject' ? 'rejected' : 'expired';
        const decision = action === 'fail' ? null : action;
        const comment = `no decision within the deadline (${approval.expiresAt?.toISOString()})`;
        await this.apply(tx, approval, status, { decision, comment, payload: approval.payload, decidedBy: TIMEOUT_DECIDER });
      }
      return due.length;
    });
  }

  /** Marks a run's open approvals cancelled (the run ended without them). */
  cancelForRun(runId: string, tx?: Transaction): Promise<number> {
    return this.approvals.cancelPendingForRun(runId, tx);
  }

  private async apply(
    tx: Transaction,
    approval: Approval,
    status: 'approved' | 'rejected' | 'expired',
    fields: { decision: Approval['decision']; comment: string | null; payload: unknown; decidedBy: Decider },
  ): Promise<Approval | 'lost' | 'gone'> {
    // The step is checked before the decision is written: when its run ended meanwhile the
    // approval is cancelled instead, so no decision is ever stored that nothing acted on.
    // The row lock makes a concurrent second decision wait here and then lose.
    if (!(await this.approvals.lockOpen(approval.id, tx))) return 'lost';
    // An approved failure escalation re-runs the step as a new attempt.
    const fresh = approval.kind === 'failure' && status === 'approved';
    const acted = approval.kind === 'compensation'
      ? await this.compensations.resolveEscalation(tx, approval.runId, approval.stepId, status === 'approved' ? 'retry' : 'give_up')
      : await this.transitions.resumeAfterDecision(tx, approval.stepId, fresh);
    if (!acted) {
      await this.approvals.cancel(approval.id, tx);
      return 'gone';
    }
    const decided = await this.approvals.decide(approval.id, status, fields, tx);
    if (!decided) return 'lost';
    if (decided.kind === 'budget' && status === 'approved') {
      // Raised in the decision's transaction: the woken step is admitted against the new limits.
      await this.budgets.raiseInTransaction(tx, decided.runId, this.budgets.parseLimits(fields.payload), fields.decidedBy.name);
    }
    await this.events.append(tx, [
      {
        runId: approval.runId,
        type: status === 'expired' ? 'approval.expired' : 'approval.decided',
        stepKey: approval.stepKey,
        data: { approvalId: approval.id, kind: approval.kind, decision: fields.decision, decidedBy: fields.decidedBy, from: 'pending', to: status },
      },
    ]);
    return decided;
  }

  /** The payload an approval passes on: the edited one (if allowed and valid) or the original. */
  private checkedPayload(approval: Approval, input: DecisionInput): unknown {
    if (input.payload === undefined) return approval.payload;
    if (input.decision !== 'approve') {
      throw BatonError.validation([{ path: 'payload', message: 'can only be given with decision approve' }]);
    }
    if (!approval.allowEdit) {
      throw BatonError.validation([{ path: 'payload', message: 'this checkpoint does not allow editing (allow_edit is false)' }]);
    }
    if (approval.schema) {
      const validate = ajv.compile(approval.schema);
      if (!validate(input.payload)) throw BatonError.validation(schemaErrors(validate.errors ?? []));
    }
    return input.payload;
  }
}

/** `retry` / `give_up` are a compensation approval's words for approve / reject; elsewhere a 400. */
function plainDecision(approval: Approval, input: DecisionInput): DecisionInput & { decision: 'approve' | 'reject' } {
  if (input.decision === 'approve' || input.decision === 'reject') return input as DecisionInput & { decision: 'approve' | 'reject' };
  if (approval.kind !== 'compensation') {
    throw BatonError.validation([{ path: 'decision', message: `${input.decision} is only for a compensation approval; give approve or reject` }]);
  }
  return { ...input, decision: input.decision === 'retry' ? 'approve' : 'reject' };
}

function schemaErrors(errors: ErrorObject[]): FieldError[] {
  return errors.map((e) => ({
    path: `payload${e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`,
    message: e.message ?? 'is invalid',
  }));
}

/** Who counts once toward a quorum; with auth off every anonymous decision counts. */
function voterKey(caller: Principal): string {
  return 'anonymous' in caller ? `anonymous:${randomUUID()}` : callerKey(caller);
}

function alreadyDecided(approval: Approval): BatonError {
  const by = approval.decidedBy ? ` by ${approval.decidedBy.name}` : '';
  return new BatonError('conflict', `approval ${approval.id} is already ${approval.status}${by}`);
}

/** The owner a caller is bound to (tenancy); undefined: all owners (and auth off). */
function boundOwner(caller: Principal): string | undefined {
  return 'anonymous' in caller ? undefined : caller.owner;
}
