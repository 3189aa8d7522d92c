import { stateMachine } from '@baton/common';
import type { FireStatus } from './schedule.types.js';

/**
 * The schedule fire state machine. A fire is recorded pending, buffered (an overlap policy
 * holds it back), skipped or missed; every UPDATE of `schedule_fires.status` is guarded by one
 * of `FIRE_MOVES`, derived from this table (`status = any($n::text[])`).
 *
 *   buffered → pending (nothing else active) → started | failed (the run could not be created)
 *   pending | buffered → skipped (a later fire superseded it: cancel_other)
 */
export const FIRE_MACHINE = stateMachine<FireStatus>({
  pending: ['started', 'failed', 'skipped'],
  buffered: ['pending', 'skipped'],
  started: [],
  skipped: [],
  missed: [],
  failed: [],
});

export const FIRE_MOVES = {
  start: { from: FIRE_MACHINE.guard('started'), to: 'started' },
  fail: { from: FIRE_MACHINE.guard('failed'), to: 'failed' },
  supersede: { from: FIRE_MACHINE.guard('skipped'), to: 'skipped' },
  promote: { from: FIRE_MACHINE.guard('pending'), to: 'pending' },
} as const satisfies Record<string, { from: readonly FireStatus[]; to: FireStatus }>;

/** Fires not yet started: waiting to start, or held back by an overlap policy. */
export const UNSTARTED_FIRE_STATUSES: readonly FireStatus[] = FIRE_MOVES.supersede.from;

/** Fires that started a run (whether it is still going is the run's status, `run_status`). */
export const STARTED_FIRE_STATUSES: readonly FireStatus[] = [FIRE_MOVES.start.to];
