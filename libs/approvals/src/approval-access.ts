import { Inject, Injectable } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { policyPrincipalOf, type PersonPrincipal, type Principal, type TokenPrincipal } from '@baton/identity';
import { PolicyEngine } from '@baton/policy';
import { RunQueryService, type Run } from '@baton/runs';
import type { Approval, Decider } from './approval.types.js';

type Caller = TokenPrincipal | PersonPrincipal;

/**
 * Who may decide an approval, whatever the door (REST, A2A, MCP):
 * 1. the active Cedar policy set: `approval.decide` on `Baton::Approval::"<id>"`, whose
 *    attributes carry the checkpoint's rules (approvers, self-approval, quorum, the run's
 *    owner and submitter) so a policy can refine them;
 * 2. then the checkpoint's own rules (`approvers`, `self_approval: false`), which no policy set
 *    can switch off: a definition that names its approvers is obeyed under every policy.
 * The token that submitted a run may answer its agents' questions (`agent_input`) without
 * `approval.decide`: an agent continuing its own task never passes a human gate.
 */
@Injectable()
export class ApprovalAccess {
  constructor(
    @Inject(PolicyEngine) private readonly engine: PolicyEngine,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
  ) {}

  /** Refuses (403 / JSON-RPC -32000) a caller who may not make this decision; nothing is recorded. */
  async assertMayDecide(approval: Approval, caller: Principal, decision: 'approve' | 'reject'): Promise<void> {
    if ('anonymous' in caller) return; // auth off: everything is allowed, loopback only
    const run = await this.runs.getRun(approval.runId);
    const verdict = this.engine.decide({
      principal: policyPrincipalOf(caller),
      action: 'approval.decide',
      resource: { type: 'Approval', id: approval.id, attrs: approvalAttrs(approval, run) },
      context: { decision, caller: callerKey(caller), callerNames: callerNames(caller) },
    });
    if (!verdict.allowed) {
      if (approval.kind === 'agent_input' && 'tokenId' in caller && run.submittedBy === caller.tokenId) return;
      const what = approval.kind === 'agent_input' ? "an agent's question on a run it did not submit" : `a ${approval.kind} approval`;
      const by = verdict.reasons.length > 0 ? `denied by ${verdict.reasons.join(', ')} in` : 'not permitted by';
      throw new BatonError(
        'forbidden',
        `${describe(caller)} may not decide ${what}: that needs the approvals.decide permission (action approval.decide; ${by} policy version ${verdict.version})`,
      );
    }
    this.assertCheckpointRules(approval, run, caller, decision);
  }

  private assertCheckpointRules(approval: Approval, run: Run, caller: Caller, decision: 'approve' | 'reject'): void {
    const approvers = approval.approvers;
    if (approvers && !isApprover(approvers, caller)) {
      const named = [...approvers.groups.map((g) => `group ${g}`), ...approvers.users.map((u) => `user ${u}`)].join(', ');
      throw new BatonError('forbidden', `${describe(caller)} is not an approver of checkpoint ${approval.stepKey}: it names ${named}`);
    }
    if (!approval.selfApproval && decision === 'approve' && callerKey(caller) === submitterKey(run)) {
      throw new BatonError(
        'forbidden',
        `${describe(caller)} submitted run ${run.id} and may not approve its checkpoint ${approval.stepKey} (self_approval: false); rejecting is allowed`,
      );
    }
  }
}

/** Who counts once toward a quorum, and who is compared with the run's submitter. */
export function callerKey(caller: Caller): string {
  return 'subject' in caller ? `person:${caller.subject}` : `token:${caller.tokenId}`;
}

/** The caller as recorded on a decision: the person (subject, name, email) or the token's name. */
export function deciderOf(caller: Principal): Decider {
  if ('anonymous' in caller) return { name: 'anonymous' };
  if ('subject' in caller) return { subject: caller.subject, name: caller.name, email: caller.email ?? null, role: caller.role };
  return { id: caller.tokenId, name: caller.name, role: caller.role };
}

function callerNames(caller: Caller): string[] {
  return 'subject' in caller ? [caller.subject, ...(caller.email ? [caller.email] : [])] : [`token:${caller.name}`];
}

function isApprover(approvers: NonNullable<Approval['approvers']>, caller: Caller): boolean {
  if ('subject' in caller && caller.groups.some((group) => approvers.groups.includes(group))) return true;
  return callerNames(caller).some((name) => approvers.users.includes(name));
}

function submitterKey(run: Run): string | null {
  if (run.submittedByPerson) return `person:${run.submittedByPerson}`;
  return run.submittedBy ? `token:${run.submittedBy}` : null;
}

function describe(caller: Caller): string {
  return 'subject' in caller ? `person ${caller.name} (${caller.subject}, ${caller.role})` : `token ${caller.name} (${caller.role})`;
}

function approvalAttrs(approval: Approval, run: Run) {
  return {
    owner: run.owner,
    kind: approval.kind,
    approverGroups: (approval.approvers?.groups ?? []).map((id) => ({ __entity: { type: 'Baton::Group', id } })),
    approverUsers: approval.approvers?.users ?? [],
    selfApproval: approval.selfApproval,
    minApprovals: approval.minApprovals,
    submittedBy: submitterKey(run) ?? '',
  };
}
