/**
 * The step state machine.
 *
 *   pending (dependencies unmet) → queued → running → completed | failed | skipped | cancelled
 *   running → queued (retry after backoff, or a lost lease recovered)
 *   running → waiting (child run, human checkpoint) → queued (woken) → running
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
  queued: ['running', 'cancelled'],
  running: ['completed', 'failed', 'skipped', 'cancelled', 'queued', 'waiting'],
  waiting: ['queued', 'completed', 'failed', 'cancelled'],
  completed: [],
  skipped: [],
  failed: ['queued', 'pending'],
  cancelled: ['queued', 'pending'],
};

export function isTerminalStep(status: StepStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'skipped' || status === 'cancelled';
}

/** Terminal states whose dependents may go on (a skipped step's output is null). */
export function satisfiesDependents(status: StepStatus): boolean {
  return status === 'completed' || status === 'skipped';
}

export function canTransitionStep(from: StepStatus, to: StepStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Steps that a run's cancellation or failure sweeps to `cancelled`. */
export const OPEN_STEP_STATUSES: readonly StepStatus[] = ['pending', 'queued', 'running', 'waiting'];
