import { stateMachine } from '@baton/common';
import type { EventWait } from './event-wait.repository.js';

export type EventWaitStatus = EventWait['status'];

/**
 * The event wait state machine. Every UPDATE of `event_waits.status` is guarded by one of
 * `EVENT_WAIT_MOVES`, derived from this table (`status = any($n::text[])`).
 *
 *   waiting → matched | timed_out;  timed_out → waiting | matched (the step waits again: a retry)
 */
export const EVENT_WAIT_MACHINE = stateMachine<EventWaitStatus>({
  waiting: ['matched', 'timed_out'],
  matched: [],
  timed_out: ['waiting', 'matched'],
});

const sharedGuard = (to: EventWaitStatus[], only?: EventWaitStatus[]): EventWaitStatus[] =>
  EVENT_WAIT_MACHINE.states.filter((s) => to.every((t) => EVENT_WAIT_MACHINE.guard(t, only).includes(s)));

export const EVENT_WAIT_MOVES = {
  /** An event (or a signal naming the wait) satisfied it. */
  match: { from: EVENT_WAIT_MACHINE.guard('matched', ['waiting']), to: ['matched'] as EventWaitStatus[] },
  /** Its deadline passed. */
  expire: { from: EVENT_WAIT_MACHINE.guard('timed_out'), to: ['timed_out'] as EventWaitStatus[] },
  /** A retried step waits again (or is matched at once by an event already stored). */
  reopen: { from: sharedGuard(['waiting', 'matched'], ['timed_out']), to: ['waiting', 'matched'] as EventWaitStatus[] },
} as const;

/** Waits still open for an event. */
export const OPEN_EVENT_WAIT_STATUSES: readonly EventWaitStatus[] = EVENT_WAIT_MOVES.expire.from;
