import { Inject, Injectable } from '@nestjs/common';
import { Ajv, type ErrorObject } from 'ajv';
import { BatonError, type FieldError } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import { EventLogService } from '@baton/events';
import { roleAllows, type Principal } from '@baton/identity';
import { RunBudgetService, RunQueryService, StepTransitionsService, type ClaimedStep } from '@baton/runs';
import { ApprovalRepository } from './approval.repository.js';
import type { Approval, ApprovalStatus, Decider, DecisionInput, NewApproval } from './approval.types.js';

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
    @Inject(RunQueryService) private readonly runs: RunQueryService,
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
  ) {}

  /**
   * Opens the approval for this step attempt, or finds the one already open (the step was
   * re-claimed after a crash). A pending approval leaves the step waiting; a decided one is
   * returned for the caller to act on.
   */
  async ensure(step: ClaimedStep, request: Omit<NewApproval, 'runId' | 'stepId' | 'stepKey' | 'attempt'>): Promise<Approval> {
    return this.db.transaction(async (tx) => {
      const { approval, created } = await this.approvals.insertOrGet(
        { ...request, runId: step.runId, stepId: step.id, stepKey: step.key, attempt: step.attempt },
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

  async get(id: string): Promise<Approval> {
    const approval = await this.approvals.findById(id);
    if (!approval) throw BatonError.notFound('approval', id);
    return approval;
  }

  list(filter: { status?: ApprovalStatus; runId?: string; limit: number; after?: { createdAt: string; id: string } }): Promise<Approval[]> {
    return this.approvals.list(filter);
  }

  countPending(): Promise<number> {
    return this.approvals.countPending();
  }

  /**
   * Records a decision and wakes the step. One decision per approval: a second gets 409.
   * Whatever the door (REST, A2A, later MCP), the caller must hold `approvals.decide`, except
   * that the token which submitted the run may answer the questions its agents asked
   * (`agent_input`): an agent continuing its own task never passes a human gate.
   */
  async decide(id: string, input: DecisionInput, caller: Principal): Promise<Approval> {
    const current = await this.get(id);
    await this.assertMayDecide(current, caller);
    if (current.status !== 'pending') throw alreadyDecided(current);
    const decider = deciderOf(caller);
    const payload = this.checkedPayload(current, input);
    // A budget approval carries the new limits: refused (400) before anything is decided.
    if (current.kind === 'budget' && input.decision === 'approve') this.budgets.parseLimits(payload);
    const status = input.decision === 'approve' ? 'approved' : 'rejected';
    const fields = { decision: input.decision, comment: input.comment ?? null, payload, decidedBy: decider };
    const decided = await this.db.transaction((tx) => this.apply(tx, current, status, fields));
    if (decided === 'lost') throw alreadyDecided(await this.get(id));
    if (decided === 'gone') {
      throw new BatonError('invalid_state', `run ${current.runId} is no longer waiting for this decision (the approval is now cancelled)`);
    }
    return decided;
  }

  /** Refuses (403 / JSON-RPC -32000) a caller who may not decide this approval. */
  private async assertMayDecide(approval: Approval, caller: Principal): Promise<void> {
    if ('anonymous' in caller || roleAllows(caller.role, 'approvals.decide')) return;
    if (approval.kind === 'agent_input') {
      const run = await this.runs.getRun(approval.runId);
      if (run.submittedBy !== null && run.submittedBy === caller.tokenId) return;
    }
    const what = approval.kind === 'agent_input' ? 'an agent\'s question on a run it did not submit' : `a ${approval.kind} approval`;
    throw new BatonError('forbidden', `token ${caller.name} (${caller.role}) may not decide ${what}: that needs the approvals.decide permission`);
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
    if (!(await this.transitions.resumeAfterDecision(tx, approval.stepId, fresh))) {
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

function schemaErrors(errors: ErrorObject[]): FieldError[] {
  return errors.map((e) => ({
    path: `payload${e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`,
    message: e.message ?? 'is invalid',
  }));
}

/** The caller as recorded on a decision: the token's identity, or anonymous (auth off). */
function deciderOf(caller: Principal): Decider {
  return 'anonymous' in caller ? { name: 'anonymous' } : { id: caller.tokenId, name: caller.name, role: caller.role };
}

function alreadyDecided(approval: Approval): BatonError {
  const by = approval.decidedBy ? ` by ${approval.decidedBy.name}` : '';
  return new BatonError('conflict', `approval ${approval.id} is already ${approval.status}${by}`);
}
