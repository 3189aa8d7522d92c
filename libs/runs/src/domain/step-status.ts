import { stateMachine } from '@baton/common';

/**
 * The step state machine. Every UPDATE of `orchestration_steps.status` is guarded by one of
 * the `STEP_MOVES` below, each derived from this table (see `status-guards.spec.ts`).
 *
 *   pending (dependencies unmet) → queued → running → completed | failed | skipped | cancelled
 *   running → queued (retry after backoff, or a lost lease recovered)
 *   running → waiting (child run, human checkpoint, worker node's job) → queued (woken) → running
 *   queued → waiting (every agent that could serve it has an open breaker) → queued
 *   failed | cancelled → queued | pending (an operator retries the run)
 */
export type StepStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'waiting'
  | 'completed'
  | 'failed'
  | 'skipped'
  | 'cancelled';

const TRANSITIONS: Record<StepStatus, readonly StepStatus[]> = {
  pending: ['queued', 'cancelled'],
  // queued → waiting: the agent's circuit breaker is open; parked without a claim or an attempt.
  queued: ['running', 'cancelled', 'waiting'],
  running: ['completed', 'failed', 'skipped', 'cancelled', 'queued', 'waiting'],
  waiting: ['queued', 'completed', 'failed', 'cancelled'],
  completed: [],
  skipped: [],
  failed: ['queued', 'pending'],
  cancelled: ['queued', 'pending'],
};

export const STEP_MACHINE = stateMachine(TRANSITIONS);

export const STEP_STATUSES: readonly StepStatus[] = STEP_MACHINE.states;

export function isTerminalStep(status: StepStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'skipped' || status === 'cancelled';
}

/** Terminal states whose dependents may go on (a skipped step's output is null). */
export function satisfiesDependents(status: StepStatus): boolean {
  return status === 'completed' || status === 'skipped';
}

/** Steps whose dependents may go on. */
export const SATISFYING_STEP_STATUSES: readonly StepStatus[] = STEP_STATUSES.filter(satisfiesDependents);

/** Steps that ended (for a run's done counter). */
export const TERMINAL_STEP_STATUSES: readonly StepStatus[] = STEP_STATUSES.filter(isTerminalStep);

export function canTransitionStep(from: StepStatus, to: StepStatus): boolean {
  return STEP_MACHINE.can(from, to);
}

/** A named move: the guard (`from`) and the target(s), checked against the table. */
export interface StepMove {
  from: readonly StepStatus[];
  to: readonly StepStatus[];
}

const move = (to: StepStatus[], only?: StepStatus[]): StepMove => ({
  // The guard is the set of states from which EVERY target is allowed.
  from: STEP_MACHINE.states.filter((s) => to.every((t) => STEP_MACHINE.guard(t, only).includes(s))),
  to,
});

/** Every step transition the engine performs, by name; repositories use `.from` as the guard. */
export const STEP_MOVES = {
  /** Its last dependency was satisfied. */
  release: move(['queued'], ['pending']),
  /** A claimer took it (fresh attempt, or a woken/recovered continuation). */
  claim: move(['running'], ['queued']),
  /** The holder finished it; a woken waiting step may be finished directly. */
  complete: move(['completed'], ['running', 'waiting']),
  fail: move(['failed'], ['running', 'waiting']),
  skip: move(['skipped'], ['running']),
  /** A failed attempt goes back to the queue after a backoff. */
  retry: move(['queued'], ['running']),
  /** A looping step finished an iteration and goes back to the queue for the next one. */
  iterate: move(['queued'], ['running']),
  /** Its lease ran out, or its process handed it back at shutdown. */
  recover: move(['queued'], ['running']),
  /** It waits for a child run, a person or a worker node; the slot is released. */
  park: move(['waiting'], ['running']),
  /** What it waited for happened. */
  wake: move(['queued'], ['waiting']),
  /** No agent can take it now (open circuit breakers): parked without spending an attempt. */
  parkForAgent: move(['waiting'], ['queued']),
  /** Its run ended without it. */
  cancel: move(['cancelled']),
  /** The doctor frees the slot of a step still running after its run ended (a repair). */
  cancelOrphan: move(['cancelled'], ['running']),
  /** An operator retries the run: back to queued or pending. */
  reopen: move(['queued', 'pending'], ['failed', 'cancelled']),
} as const satisfies Record<string, StepMove>;

export type StepMoveName = keyof typeof STEP_MOVES;

/** The guard for finishing a step with `to`. */
export function finishGuard(to: 'completed' | 'failed' | 'skipped'): readonly StepStatus[] {
  return STEP_MOVES[to === 'completed' ? 'complete' : to === 'failed' ? 'fail' : 'skip'].from;
}

/** Steps in flight: claimable, held, or parked for something; a run with none of these has nothing left to do but release. */
export const ACTIVE_STEP_STATUSES: readonly StepStatus[] = ['queued', 'running', 'waiting'];

/** Steps that a run's cancellation or failure sweeps to `cancelled`. */
export const OPEN_STEP_STATUSES: readonly StepStatus[] = STEP_MOVES.cancel.from;
