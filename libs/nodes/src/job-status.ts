import { stateMachine } from '@baton/common';
import type { JobStatus } from './node.types.js';

/**
 * The worker job state machine (`worker_jobs`, one row per step attempt sent to a worker node).
 * Every UPDATE of its status is guarded by one of `JOB_MOVES`, derived from this table
 * (`status = any($n::text[])`).
 *
 *   queued → leased (a node claimed it) → completed | failed
 *   leased → leased (its lease ran out: another node, or the same one, takes it again)
 *   queued | leased → failed (the step's timeout passed) | cancelled (the step moved on)
 */
export const JOB_MACHINE = stateMachine<JobStatus>({
  queued: ['leased', 'failed', 'cancelled'],
  leased: ['leased', 'completed', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
});

const sharedGuard = (to: JobStatus[], only?: JobStatus[]): JobStatus[] =>
  JOB_MACHINE.states.filter((s) => to.every((t) => JOB_MACHINE.guard(t, only).includes(s)));

export const JOB_MOVES = {
  /** A node claims it; a leased one only once its lease ran out (`lease_expires_at`, null while queued). */
  claim: { from: JOB_MACHINE.guard('leased'), to: ['leased'] as JobStatus[] },
  /** The lease holder reports the outcome. */
  finish: { from: sharedGuard(['completed', 'failed'], ['leased']), to: ['completed', 'failed'] as JobStatus[] },
  /** No node finished it within the step's timeout. */
  expire: { from: JOB_MACHINE.guard('failed'), to: ['failed'] as JobStatus[] },
  /** Its step ended or moved on. */
  cancel: { from: JOB_MACHINE.guard('cancelled'), to: ['cancelled'] as JobStatus[] },
} as const;

/** Jobs a node may still take or finish. */
export const OPEN_JOB_STATUSES: readonly JobStatus[] = JOB_MOVES.cancel.from;

/** Jobs held under a lease (renewed, counted against a node's capacity and resources). */
export const LEASED_JOB_STATUSES: readonly JobStatus[] = JOB_MOVES.finish.from;
