import { stateMachine } from '@baton/common';
import type { ApprovalStatus } from './approval.types.js';

/**
 * The approval state machine: one decision, or a deadline, or the run ending first. Every
 * UPDATE of `human_approvals.status` is guarded by one of `APPROVAL_MOVES`, derived from
 * this table (see `status-guards.spec.ts` in libs/runs).
 *
 *   pending → approved | rejected | expired | cancelled
 */
export const APPROVAL_MACHINE = stateMachine<ApprovalStatus>({
  pending: ['approved', 'rejected', 'expired', 'cancelled'],
  approved: [],
  rejected: [],
  expired: [],
  cancelled: [],
});

export const APPROVAL_MOVES = {
  /** A person (or the deadline) decided; every decided status shares the guard. */
  decide: { from: APPROVAL_MACHINE.states.filter((s) => ['approved', 'rejected', 'expired'].every((to) => APPROVAL_MACHINE.can(s, to as ApprovalStatus))), to: ['approved', 'rejected', 'expired'] as ApprovalStatus[] },
  /** The run ended without a decision. */
  cancel: { from: APPROVAL_MACHINE.guard('cancelled'), to: ['cancelled'] as ApprovalStatus[] },
} as const;

/** Approvals still waiting for someone. */
export const OPEN_APPROVAL_STATUSES: readonly ApprovalStatus[] = APPROVAL_MOVES.cancel.from;
