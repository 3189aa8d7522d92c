import { stateMachine } from '@baton/common';

/**
 * The run state machine. Every change of `orchestration_runs.status` goes through
 * `RunRepository.transition`, whose `where status = any(...)` list is one of the guards below,
 * derived from this table (see `status-guards.spec.ts`).
 *
 *   pending → running → (waiting | paused) → completed | failed | cancelled
 *   (open) → compensating → failed | cancelled   (saga compensation, issue 12)
 */
export type RunStatus = 'pending' | 'running' | 'waiting' | 'paused' | 'compensating' | 'completed' | 'failed' | 'cancelled';

const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  pending: ['running', 'paused', 'compensating', 'completed', 'failed', 'cancelled'],
  running: ['waiting', 'paused', 'compensating', 'completed', 'failed', 'cancelled'],
  waiting: ['running', 'paused', 'compensating', 'completed', 'failed', 'cancelled'],
  paused: ['running', 'compensating', 'completed', 'failed', 'cancelled'],
  // A rollback ends the run once every compensation has finished (for good or not).
  compensating: ['failed', 'cancelled'],
  completed: [],
  // A failed run re-opens when an operator retries a failed step, or rolls back by hand.
  failed: ['running', 'compensating'],
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
  // A rolling-back run ends only by `endCompensation`: a late failure or a cancel does not cut it short.
  fail: { from: RUN_MACHINE.guard('failed', ['pending', 'running', 'waiting', 'paused']), to: 'failed' },
  cancel: { from: RUN_MACHINE.guard('cancelled', ['pending', 'running', 'waiting', 'paused']), to: 'cancelled' },
  /** A run that fails (or is cancelled) with compensation due starts rolling back. */
  compensate: { from: RUN_MACHINE.guard('compensating', ['pending', 'running', 'waiting', 'paused']), to: 'compensating' },
  /** `POST /runs/:id/compensate`: a failed run rolls back by hand. */
  compensateFailed: { from: RUN_MACHINE.guard('compensating', ['failed']), to: 'compensating' },
  /** Every compensation finished: the run ends as it was going to. */
  endCompensationFailed: { from: RUN_MACHINE.guard('failed', ['compensating']), to: 'failed' },
  endCompensationCancelled: { from: RUN_MACHINE.guard('cancelled', ['compensating']), to: 'cancelled' },
  /** The doctor fails a running run that has no step left queued, running or waiting (a repair). */
  failStuck: { from: RUN_MACHINE.guard('failed', ['running']), to: 'failed' },
} as const satisfies Record<string, RunMove>;

export type RunMoveName = keyof typeof RUN_MOVES;

/** Runs whose queued steps may be claimed. */
export const CLAIMABLE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting'];

/** Runs that have ended (a failed run may still re-open, but only by an operator). */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter(isTerminalRun);

/** Runs that have not ended (a failed run may re-open, but only by an operator). */
export const OPEN_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((s) => !isTerminalRun(s));
