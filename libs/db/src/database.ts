/**
 * The one door to Postgres. Two implementations share it: a node-postgres pool for a real
 * server and embedded PGlite for `npm start` on a bare machine. Both speak the same SQL, so
 * repositories never know which one they have.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /** One parameterised statement. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A transaction handle: queries run inside it; callbacks run only once it has committed. */
export interface Transaction extends Queryable {
  /** Runs `fn` after COMMIT, never on rollback: the place to emit in-process events. */
  afterCommit(fn: () => void): void;
}

import { DatabaseHealth, isDatabaseUnavailable } from './database-health.js';

export type DatabaseKind = 'postgres' | 'pglite';

export abstract class Database implements Queryable {
  abstract readonly kind: DatabaseKind;
  abstract query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  abstract exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction. Deadlocks and serialization failures are retried a few
   * times, so `fn` must be safe to run again (it is: it only talks to the database).
   */
  abstract transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  abstract listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  abstract close(): Promise<void>;

  /** Connected or not, and since when (see `DatabaseHealth`). */
  readonly health = new DatabaseHealth();
  private readonly reconnectHandlers = new Set<() => void>();

  /**
   * Calls `fn` each time the database is back after an outage (connected again, LISTEN
   * re-established). Notifications sent meanwhile were lost: `fn` should catch up by polling.
   * Returns the unsubscribe function. Never called on PGlite.
   */
  onReconnect(fn: () => void): () => void {
    this.reconnectHandlers.add(fn);
    return () => this.reconnectHandlers.delete(fn);
  }

  protected reconnected(): void {
    for (const handler of this.reconnectHandlers) {
      try {
        handler();
      } catch {
        // each handler logs its own failures; one must not stop the others
      }
    }
  }

  /**
   * Runs `fn`, and runs it again each time it fails because the database could not be
   * reached, once the database is back (short backoff between tries). Other errors, and the
   * last one after `signal` aborts, are thrown. `fn` must be safe to repeat: a COMMIT whose
   * answer was lost may have landed, so Baton's writes are guarded (fencing tokens, status).
   */
  async retryWhileDisconnected<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 2_000)) {
      try {
        return await fn();
      } catch (error) {
        if (!isDatabaseUnavailable(error) || signal?.aborted) throw error;
        await this.health.whenConnected(signal);
        if (signal?.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      }
    }
  }
}

/** SQLSTATEs after which the whole transaction may simply be tried again. */
export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
export const MAX_TRANSACTION_ATTEMPTS = 5;

export function runAfterCommit(callbacks: Array<() => void>, onError: (error: unknown) => void): void {
  for (const callback of callbacks) {
    try {
      callback();
    } catch (error) {
      onError(error);
    }
  }
}
