/**
 * How the runs library tells the execution queue about work without importing it: a NOTIFY
 * on commit (other instances) and an in-process event after commit (this one).
 */
export const WORK_CHANNEL = 'baton_work';
export const CANCEL_CHANNEL = 'baton_cancel';
/** In-process: steps became claimable. */
export const WORK_AVAILABLE_EVENT = 'baton.work.available';
/** In-process: these runs were cancelled or failed; abort their in-flight steps. Payload: string[] of run ids. */
export const RUNS_STOPPED_EVENT = 'baton.runs.stopped';
