/**
 * How the runs library tells the execution queue about work without importing it: a NOTIFY
 * on commit (other instances) and an in-process event after commit (this one).
 */
export const WORK_CHANNEL = 'baton_work';
export const CANCEL_CHANNEL = 'baton_cancel';
/** In-process: steps became claimable. */
export const WORK_AVAILABLE_EVENT = 'baton.work.available';
/**
 * In-process: these runs were just created here and their first steps are due. Payload:
 * `CreatedRun[]`. A listener (the execution queue) claims them itself; with none,
 * `WORK_AVAILABLE_EVENT` is emitted instead.
 */
export const RUNS_CREATED_EVENT = 'baton.runs.created';

/** A run just created, and how many steps it can start at once (its roots, up to its max_parallel). */
export interface CreatedRun {
  runId: string;
  firstSteps: number;
}
/** In-process: these runs were cancelled or failed; abort their in-flight steps. Payload: string[] of run ids. */
export const RUNS_STOPPED_EVENT = 'baton.runs.stopped';

/** NOTIFY channel and in-process event: compensations became claimable (a run started rolling back, a retry is due). */
export const COMPENSATION_CHANNEL = 'baton_compensations';
export const COMPENSATION_AVAILABLE_EVENT = 'baton.compensations.available';
