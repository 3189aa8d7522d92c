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

/**
 * Asked by services whose writes come through doors the HTTP read-only filter cannot sort
 * (A2A and MCP carry reads, approvals and writes in one JSON-RPC route): run control (cancel,
 * pause, resume, retry) and A2A push configs. Unbound, every write is allowed.
 */
export abstract class WriteGate {
  /** Throws a `BatonError('unavailable')` naming the mode and its reason while the hub is read-only (degraded). */
  abstract assertWritable(): void;
}
