import { stateMachine } from '@baton/common';

/**
 * A saga compensation (issue 12): one row of `orchestration_compensations` per completed step
 * that declares `compensate`, when its run rolls back.
 *
 *   pending → running → completed
 *   running → pending    (retry after backoff, or a lost lease recovered)
 *   running → escalated  (attempts exhausted: an approval asks a person)
 *   escalated → pending  (the person chose retry: fresh attempts)
 *   escalated → failed   (the person gave up)
 *   pending | running | escalated → abandoned  (the rollback ran out of time)
 */
export type CompensationStatus = 'pending' | 'running' | 'escalated' | 'completed' | 'failed' | 'abandoned';

const TRANSITIONS: Record<CompensationStatus, readonly CompensationStatus[]> = {
  pending: ['running', 'abandoned'],
  running: ['completed', 'pending', 'escalated', 'abandoned'],
  escalated: ['pending', 'failed', 'abandoned'],
  completed: [],
  failed: [],
  abandoned: [],
};

export const COMPENSATION_MACHINE = stateMachine(TRANSITIONS);

export const COMPENSATION_STATUSES: readonly CompensationStatus[] = COMPENSATION_MACHINE.states;

/**
 * Every compensation transition, by name; the repository's `where status = any(...)` guards.
 * The attempt moves start only from `running` (a report under a lease); the decision moves
 * only from `escalated`, so a late worker report can never resolve an escalation.
 */
export const COMPENSATION_MOVES = {
  claim: { from: ['pending'], to: 'running' },
  complete: { from: ['running'], to: 'completed' },
  /** A failed attempt with attempts left, or an expired lease (same attempt). */
  retry: { from: ['running'], to: 'pending' },
  /** Attempts exhausted: waits for a person's decision. */
  escalate: { from: ['running'], to: 'escalated' },
  /** The person chose retry. */
  resume: { from: ['escalated'], to: 'pending' },
  /** The person gave up. */
  giveUp: { from: ['escalated'], to: 'failed' },
  /** The rollback's deadline passed. */
  abandon: { from: COMPENSATION_MACHINE.guard('abandoned'), to: 'abandoned' },
} as const satisfies Record<string, { from: readonly CompensationStatus[]; to: CompensationStatus }>;

/** Compensations not finished yet: the run stays `compensating` while any is. */
export const OPEN_COMPENSATION_STATUSES: readonly CompensationStatus[] = ['pending', 'running', 'escalated'];

/** Finished without undoing their step: the run ends with `compensation: partial`. */
export const UNDONE_COMPENSATION_STATUSES: readonly CompensationStatus[] = ['failed', 'abandoned'];
