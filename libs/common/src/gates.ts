/**
 * Gates the engine consults before starting new work (issue 16). They live on floor 0 so
 * that `runs` (admission) and `execution` (dispatch) can ask without importing `ops`, which
 * implements both from the hub's operating mode. Unbound (a test module without `ops`), the
 * engine admits and dispatches everything.
 */
export abstract class AdmissionGate {
  /**
   * Throws a `BatonError('unavailable')` naming the mode and its reason when new runs are
   * refused. Asked for runs submitted from outside only: a child run is started by a step
   * already in flight, and in-flight work runs to completion in every mode.
   */
  abstract assertAdmits(): void;
}

export abstract class DispatchGate {
  /** False while no new step may be claimed; steps already running carry on. */
  abstract allowsDispatch(): boolean;
  /** Calls `fn` whenever dispatch opens again; returns the unsubscribe function. */
  abstract onOpen(fn: () => void): () => void;
}
