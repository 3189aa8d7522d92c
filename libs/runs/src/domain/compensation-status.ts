import { stateMachine } from '@baton/common';

/**
 * A saga compensation (issue 12): one row of `orchestration_compensations` per completed step
 * that declares `compensate`, when its run rolls back.
 *
 *   pending → running → completed | failed
 *   running → pending (retry after backoff, or a lost lease recovered)
 */
export type CompensationStatus = 'pending' | 'running' | 'completed' | 'failed';

const TRANSITIONS: Record<CompensationStatus, readonly CompensationStatus[]> = {
  pending: ['running'],
  running: ['completed', 'failed', 'pending'],
  completed: [],
  failed: [],
};

export const COMPENSATION_MACHINE = stateMachine(TRANSITIONS);

export const COMPENSATION_STATUSES: readonly CompensationStatus[] = COMPENSATION_MACHINE.states;

/** Every compensation transition, by name; the repository's `where status = any(...)` guards. */
export const COMPENSATION_MOVES = {
  claim: { from: COMPENSATION_MACHINE.guard('running'), to: 'running' },
  complete: { from: COMPENSATION_MACHINE.guard('completed'), to: 'completed' },
  fail: { from: COMPENSATION_MACHINE.guard('failed'), to: 'failed' },
  /** A failed attempt with attempts left, or an expired lease (same attempt). */
  retry: { from: COMPENSATION_MACHINE.guard('pending'), to: 'pending' },
} as const satisfies Record<string, { from: readonly CompensationStatus[]; to: CompensationStatus }>;

/** Compensations not finished yet: the run stays `compensating` while any is. */
export const OPEN_COMPENSATION_STATUSES: readonly CompensationStatus[] = ['pending', 'running'];
