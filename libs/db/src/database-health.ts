/**
 * Whether the database answers, as this process last saw it. `PgDatabase` marks it
 * disconnected when a statement fails for want of a connection and connected again when
 * one succeeds (its probe keeps trying while nothing else does). PGlite lives in the
 * process and is always connected. `/ready` reads it; loops wait on it instead of spinning.
 */
export type DatabaseState = 'connected' | 'disconnected';

export interface DatabaseHealthSnapshot {
  state: DatabaseState;
  /** When the state last changed (process start for a database that never failed). */
  since: Date;
  /** The error that disconnected it, while disconnected. */
  lastError: string | null;
  /** Outages seen since the process started. */
  outages: number;
}

export class DatabaseHealth {
  private state: DatabaseState = 'connected';
  private since = new Date();
  private lastError: string | null = null;
  private outages = 0;
  private waiters = new Set<() => void>();
  private readonly listeners = new Set<(snapshot: DatabaseHealthSnapshot) => void>();

  get connected(): boolean {
    return this.state === 'connected';
  }

  snapshot(): DatabaseHealthSnapshot {
    return { state: this.state, since: this.since, lastError: this.lastError, outages: this.outages };
  }

  /** Returns true when this call changed the state. */
  markDisconnected(error: unknown): boolean {
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.state === 'disconnected') return false;
    this.state = 'disconnected';
    this.since = new Date();
    this.outages++;
    this.notify();
    return true;
  }

  /** Returns true when this call changed the state. */
  markConnected(): boolean {
    if (this.state === 'connected') return false;
    this.state = 'connected';
    this.since = new Date();
    this.lastError = null;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const resolve of waiters) resolve();
    this.notify();
    return true;
  }

  /** Called on every change of state; returns the unsubscribe function. */
  onChange(listener: (snapshot: DatabaseHealthSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once connected (at once if it is), or when `signal` aborts. */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.state === 'connected' || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private notify(): void {
    const snapshot = this.snapshot();
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch {
        // a listener's failure must not stop the others (they log their own)
      }
    }
  }
}

// Class 08 (connection exception) and 57P01-57P03 (admin shutdown, crash shutdown, cannot
// connect now: the server is stopping or starting) mean "no database", not "bad statement".
const CONNECTION_SQLSTATE = /^(08...|57P0[123])$/;
const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres reports a lost socket with these messages and no code.
const CONNECTION_MESSAGE = /Connection terminated|not queryable|timeout exceeded when trying to connect|Client was closed/i;

/**
 * True when `error` says the database could not be reached (refused, reset, shut down,
 * starting up) rather than that a statement was wrong: the work may be tried again once
 * the database is back.
 */
export function isConnectionError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_SQLSTATE.test(code) || CONNECTION_ERRNO.has(code))) return true;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && CONNECTION_MESSAGE.test(message)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isConnectionError(cause);
}


const UNAVAILABLE = Symbol.for('baton.db.unavailable');

/** Tags an error the database layer saw as "no connection" (see `isDatabaseUnavailable`). */
export function markDatabaseUnavailable(error: unknown): void {
  if (error && typeof error === 'object') (error as Record<symbol, unknown>)[UNAVAILABLE] = true;
}

/**
 * True for an error that came out of `PgDatabase` because the database could not be reached.
 * Callers decide "wait and do it again" on this rather than on `isConnectionError`, because
 * an agent that refuses connections says ECONNREFUSED too, and that is the step's failure.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return !!error && typeof error === 'object' && (error as Record<symbol, unknown>)[UNAVAILABLE] === true;
}
