import { roleAllows, type Principal } from '@baton/identity';
import type { Run, RunActor } from '@baton/runs';
import { A2aRpcError } from '../rpc/a2a-rpc-error.js';

/**
 * Who may touch which task over A2A. The submitter is the run's server-side `submittedBy`
 * (the token that sent the message), never anything the client wrote into the run.
 *
 * - Auth off (anonymous) and tokens holding `runs.control` (operators, admins) see and steer
 *   every task.
 * - Any other token (an `agent`) sees, streams, continues and cancels only the tasks it
 *   submitted, and only their push configs. To it, another's task does not exist (-32001 on
 *   reads, so ids cannot be probed); steering one is refused (-32000).
 */
export function seesAllTasks(principal: Principal): boolean {
  return 'anonymous' in principal || roleAllows(principal.role, 'runs.control');
}

export function submittedByCaller(run: Run, principal: Principal): boolean {
  return !('anonymous' in principal) && run.submittedBy !== null && run.submittedBy === principal.tokenId;
}

/** Reads (get, subscribe, push-config get/list): another agent's task is "not found". */
export function assertMayRead(run: Run, principal: Principal): void {
  if (seesAllTasks(principal) || submittedByCaller(run, principal)) return;
  throw A2aRpcError.taskNotFound(run.id);
}

/** Cancel, resume, push-config create/delete: the submitter, or `runs.control`. */
export function assertMayControl(run: Run, principal: Principal): void {
  if (seesAllTasks(principal) || submittedByCaller(run, principal)) return;
  const name = 'anonymous' in principal ? 'anonymous' : `${principal.name} (${principal.role})`;
  throw A2aRpcError.forbidden(`token ${name} may only control tasks it submitted`, 'runs.control');
}

/**
 * Continuing (answering) a task: the submitter, or `approvals.decide`. Which checkpoints an
 * answer may decide is the approvals service's rule, checked again there for every door.
 */
export function assertMayContinue(run: Run, principal: Principal): void {
  if ('anonymous' in principal || roleAllows(principal.role, 'approvals.decide') || submittedByCaller(run, principal)) return;
  throw A2aRpcError.forbidden(
    `token ${principal.name} (${principal.role}) may only continue tasks it submitted (or needs approvals.decide)`,
    'approvals.decide',
  );
}

/** The caller as the run services see it: they check ownership again, whatever the door. */
export function actorOf(principal: Principal): RunActor {
  if ('anonymous' in principal) return { anonymous: true };
  return { tokenId: principal.tokenId, name: principal.name, controlsAnyRun: roleAllows(principal.role, 'runs.control') };
}
