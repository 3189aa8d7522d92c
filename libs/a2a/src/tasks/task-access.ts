import { Inject, Injectable } from '@nestjs/common';
import { policyPrincipalOf, principalLabel, principalTokenId, roleAllows, type Principal } from '@baton/identity';
import type { DefinitionRef } from '@baton/definitions';
import { PolicyAuthorizer, type PolicyAction, type PolicyEntityRef } from '@baton/policy';
import type { Run, RunActor } from '@baton/runs';
import { A2aRpcError } from '../rpc/a2a-rpc-error.js';

/**
 * Who may touch which task over A2A, decided by the active Cedar policy set (issue 13):
 * `task.read`, `task.control` and `task.continue` on `Baton::Run::"<id>"`, whose `submitter` is
 * the run's server-side `submittedBy` token (never anything the client wrote into the run).
 * The default set says what the role table said:
 *
 * - Auth off (anonymous) and holders of `runs.control` (operators, admins) see and steer every
 *   task (`task.read` on the Hub is "every task": lists and the card's `tasks: all`).
 * - Any other token (an `agent`) sees, streams, continues and cancels only the tasks it
 *   submitted, and only their push configs (`own-tasks`). To it, another's task does not
 *   exist (-32001 on reads, so ids cannot be probed); steering one is refused (-32000).
 * - Continuing (answering) a task: the submitter, or `approvals.decide`. Which checkpoints an
 *   answer may decide is the approvals service's rule, checked again there for every door.
 * - Tenancy comes first, whatever the policy: to a token bound to an owner, a task of another
 *   owner does not exist (-32001) for every method, reads and steering alike.
 */
@Injectable()
export class TaskAccess {
  constructor(@Inject(PolicyAuthorizer) private readonly authorizer: PolicyAuthorizer) {}

  /** Whether `principal` reaches every task (not only those it submitted). */
  seesAll(principal: Principal): boolean {
    return 'anonymous' in principal || this.allows(principal, 'task.read', null);
  }

  /** Reads (get, subscribe, push-config get/list): another agent's task is "not found". */
  assertMayRead(run: Run, principal: Principal): void {
    assertOwnerReaches(run, principal);
    if ('anonymous' in principal || this.allows(principal, 'task.read', run)) return;
    throw A2aRpcError.taskNotFound(run.id);
  }

  /** Cancel, resume, push-config create/delete: the submitter, or `runs.control`. */
  assertMayControl(run: Run, principal: Principal): void {
    assertOwnerReaches(run, principal);
    if ('anonymous' in principal || this.allows(principal, 'task.control', run)) return;
    throw A2aRpcError.forbidden(`${principalLabel(principal)} (${principal.role}) may only control tasks it submitted`, 'runs.control');
  }

  /** Continuing (answering) a task: the submitter, or `approvals.decide`. */
  assertMayContinue(run: Run, principal: Principal): void {
    assertOwnerReaches(run, principal);
    if ('anonymous' in principal || this.allows(principal, 'task.continue', run)) return;
    throw A2aRpcError.forbidden(
      `${principalLabel(principal)} (${principal.role}) may only continue tasks it submitted (or needs approvals.decide)`,
      'approvals.decide',
    );
  }

  /** `run` null: every task (the Hub). */
  private allows(principal: Exclude<Principal, { anonymous: true }>, action: PolicyAction, run: Run | null): boolean {
    const who = policyPrincipalOf(principal);
    // An agent credential is `Baton::Agent`, not its token: when its token submitted the run,
    // the run's submitter is that agent (`submitterAgent`), so `own-tasks` holds for it.
    const byThisAgent = run?.submittedBy && who.type === 'Agent' && run.submittedBy === principalTokenId(principal);
    const submitter: Record<string, PolicyEntityRef> = {};
    if (byThisAgent) submitter.submitterAgent = { type: 'Agent', id: who.id };
    else if (run?.submittedBy) submitter.submitter = { type: 'Token', id: run.submittedBy };
    const resource = run ? { type: 'Run', id: run.id, attrs: { owner: run.owner, ...submitter } } : { type: 'Hub', id: 'tasks' };
    // "Every task?" is a scope question asked on every list: not logged.
    return this.authorizer.decide({ principal: who, action, resource }, { log: run !== null }).allowed;
  }
}

/** The owner a caller is bound to; undefined: all owners (and auth off). */
export function boundOwnerOfPrincipal(principal: Principal): string | undefined {
  return 'anonymous' in principal ? undefined : principal.owner;
}

/** Another owner's task does not exist for a bound caller (-32001), before any role rule. */
export function assertOwnerReaches(run: Run, principal: Principal): void {
  const bound = boundOwnerOfPrincipal(principal);
  if (bound !== undefined && run.owner !== bound) throw A2aRpcError.taskNotFound(run.id);
}

/**
 * The definition a bound caller may start: its own owner's (the default when the reference
 * names none); another owner's is refused. Unbound callers keep their reference.
 */
export function ownedDefinitionRef(ref: DefinitionRef | undefined, principal: Principal): DefinitionRef | undefined {
  const bound = boundOwnerOfPrincipal(principal);
  if (!ref || bound === undefined) return ref;
  const owner = ref.owner ?? bound;
  if (owner !== bound) throw A2aRpcError.forbidden(`this token is bound to owner ${bound}; it may not start tasks of owner ${owner}`, 'runs.submit');
  return { ...ref, owner };
}

/** The caller as the run services see it: they check ownership again, whatever the door. */
export function actorOf(principal: Principal): RunActor {
  if ('anonymous' in principal) return { anonymous: true };
  return { tokenId: principalTokenId(principal) ?? principalLabel(principal), name: principal.name, controlsAnyRun: roleAllows(principal.role, 'runs.control') };
}
