import { AsyncResource } from 'node:async_hooks';
import { isDatabaseUnavailable } from '@baton/db';

/**
 * Failures that say nothing about the event log itself: no SQLSTATE (not the database's
 * answer), bad data (22: e.g. a NUL in an agent's output, which jsonb refuses), a lost race
 * (40), a value past a limit (54), a cancelled statement (57014). Counting those would let
 * one bad payload make the hub degraded.
 */
const NOT_THE_LOG = (code: string | undefined) => !code || ['22', '40', '54'].some((cls) => code.startsWith(cls)) || code === '57014';

const FAILING = Symbol.for('baton.events.failing');

/** True for an error thrown because the event log refused an append (see `EventLogHealth`). */
export function isEventLogFailure(error: unknown): boolean {
  return !!error && typeof error === 'object' && (error as Record<symbol, unknown>)[FAILING] === true;
}

export interface EventLogFailure {
  message: string;
  since: Date;
}

/**
 * Whether the event log takes writes, as this instance last saw it. An append that fails
 * while the database itself answers (a missing table, revoked privileges, a trigger that
 * raises, a full disk) is the event log failing: issue 16 makes the hub degraded until it
 * takes writes again. The database being unreachable is not counted here: `DatabaseHealth`
 * tracks that.
 */
export class EventLogHealth {
  private current: EventLogFailure | null = null;
  private readonly listeners = new Set<(failure: EventLogFailure | null) => void>();

  get failure(): EventLogFailure | null {
    return this.current;
  }

  /** Records a failed append; returns true when the error counts as the log failing (and tags it). */
  reportFailure(error: unknown): boolean {
    if (isDatabaseUnavailable(error) || NOT_THE_LOG((error as { code?: string } | null)?.code)) return false;
    if (error && typeof error === 'object') (error as Record<symbol, unknown>)[FAILING] = true;
    const message = (error as Error)?.message ?? String(error);
    if (this.current?.message === message) return true;
    this.current = { message, since: this.current?.since ?? new Date() };
    this.notify();
    return true;
  }

  /** An append (or a probe) went through: the log works again. */
  reportSuccess(): void {
    if (!this.current) return;
    this.current = null;
    this.notify();
  }

  /**
   * Calls `fn` on every change (failing → failing differently, failing → working); returns the
   * unsubscribe. `fn` runs in the async context of the subscriber, not of the append: on
   * PGlite a query issued from the append's context would join (and die with) its transaction.
   */
  onChange(fn: (failure: EventLogFailure | null) => void): () => void {
    const bound = AsyncResource.bind(fn);
    this.listeners.add(bound);
    return () => this.listeners.delete(bound);
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener(this.current);
      } catch {
        // a listener's failure must not turn into the append's
      }
    }
  }
}
