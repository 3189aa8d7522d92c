import { stateMachine } from '@baton/common';

/**
 * The run state machine. Every change of `orchestration_runs.status` goes through
 * `RunRepository.transition`, whose `where status = any(...)` list is one of the guards below,
 * derived from this table (see `status-guards.spec.ts`).
 *
 *   pending → running → (waiting | paused) → completed | failed | cancelled
 */
export type RunStatus = 'pending' | 'running' | 'waiting' | 'paused' | 'completed' | 'failed' | 'cancelled';

const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  pending: ['running', 'paused', 'completed', 'failed', 'cancelled'],
  running: ['waiting', 'paused', 'completed', 'failed', 'cancelled'],
  waiting: ['running', 'paused', 'completed', 'failed', 'cancelled'],
  paused: ['running', 'completed', 'failed', 'cancelled'],
  completed: [],
  // A failed run re-opens when an operator retries a failed step.
  failed: ['running'],
  cancelled: [],
};

export const RUN_MACHINE = stateMachine(TRANSITIONS);

export const RUN_STATUSES: readonly RunStatus[] = RUN_MACHINE.states;

export function isTerminalRun(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return RUN_MACHINE.can(from, to);
}

/** The statuses a run may be in for a move to `to`: the guard of the UPDATE. */
export function runStatusesAllowing(to: RunStatus): RunStatus[] {
  return RUN_MACHINE.guard(to);
}

/** A named move: the guard (`from`) and the target, both checked against the table. */
export interface RunMove {
  from: readonly RunStatus[];
  to: RunStatus;
}

/** Every run transition the engine performs, by name. */
export const RUN_MOVES = {
  /** The first step of the run was claimed. */
  start: { from: RUN_MACHINE.guard('running', ['pending']), to: 'running' },
  /** A step parks for a person; a run that is paused stays paused. */
  wait: { from: RUN_MACHINE.guard('waiting'), to: 'waiting' },
  /** The last step waiting for a person was decided. */
  resumeDecided: { from: RUN_MACHINE.guard('running', ['waiting']), to: 'running' },
  pause: { from: RUN_MACHINE.guard('paused'), to: 'paused' },
  resume: { from: RUN_MACHINE.guard('running', ['paused']), to: 'running' },
  /** An operator retries a failed step. */
  reopen: { from: RUN_MACHINE.guard('running', ['failed']), to: 'running' },
  complete: { from: RUN_MACHINE.guard('completed'), to: 'completed' },
  fail: { from: RUN_MACHINE.guard('failed'), to: 'failed' },
  cancel: { from: RUN_MACHINE.guard('cancelled'), to: 'cancelled' },
} as const satisfies Record<string, RunMove>;

export type RunMoveName = keyof typeof RUN_MOVES;

/** Runs whose queued steps may be claimed. */
export const CLAIMABLE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting'];

/** Runs that have not ended (a failed run may re-open, but only by an operator). */
export const OPEN_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((s) => !isTerminalRun(s));
