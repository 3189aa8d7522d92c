/**
 * The run state machine. Every change of `orchestration_runs.status` goes through a guarded
 * UPDATE whose `where status = any(...)` list comes from here.
 *
 *   pending → running → (waiting | paused) → completed | failed | cancelled
 */
export type RunStatus = 'pending' | 'running' | 'waiting' | 'paused' | 'completed' | 'failed' | 'cancelled';

export const RUN_STATUSES: readonly RunStatus[] = [
  'pending',
  'running',
  'waiting',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

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

export function isTerminalRun(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a run may be in for a move to `to`: the guard of the UPDATE. */
export function runStatusesAllowing(to: RunStatus): RunStatus[] {
  return RUN_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

/** Runs whose queued steps may be claimed. */
export const CLAIMABLE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting'];
