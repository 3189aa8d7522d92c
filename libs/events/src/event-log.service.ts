import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonError } from '@baton/common';
import type { Transaction } from '@baton/db';
import { EventLogHealth } from './event-log-health.js';
import { EventLogRepository } from './event-log.repository.js';
import { domainEventName, type NewEvent, type RunEvent } from './event-types.js';

/**
 * Appends events in the caller's transaction and emits them in-process once it commits.
 * Readers that must not miss anything (SSE resume, webhooks) read the table, not the emitter.
 */
@Injectable()
export class EventLogService {
  /** Whether appends go through; `ops` turns a failing log into degraded mode (issue 16). */
  readonly health = new EventLogHealth();

  constructor(
    @Inject(EventLogRepository) private readonly repository: EventLogRepository,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
  ) {}

  async append(tx: Transaction, events: NewEvent[]): Promise<RunEvent[]> {
    if (events.length === 0) return [];
    let stored: RunEvent[];
    try {
      stored = await this.repository.append(events, tx);
    } catch (error) {
      // Tagged (isEventLogFailure) and rethrown unchanged: the caller's transaction fails as before.
      this.health.reportFailure(error);
      throw error;
    }
    this.adopt(tx, stored);
    return stored;
  }

  /**
   * Events that a statement of another repository appended with its own writes, through
   * `eventAppendCtes` (issue 17: the claim writes its `step.started` events itself): they
   * count as an append that went through and are emitted once `tx` commits, as `append`'s.
   */
  adopt(tx: Transaction, stored: RunEvent[]): void {
    this.health.reportSuccess();
    tx.afterCommit(() => {
      for (const event of stored) this.emitter.emit(domainEventName(event.type), event);
    });
  }

  /**
   * Such a statement failed. It may have failed for its own writes rather than the log's; a
   * wrong guess makes the hub degraded only until the next probe finds the log working.
   */
  reportAppendFailure(error: unknown): void {
    this.health.reportFailure(error);
  }

  /**
   * Checks that the log takes writes without leaving anything behind (see the repository's
   * `probe`), and updates `health`: how a failing log is seen to recover when nothing else
   * appends (a degraded hub starts no work).
   */
  async probe(): Promise<boolean> {
    try {
      await this.repository.probe();
      this.health.reportSuccess();
      return true;
    } catch (error) {
      this.health.reportFailure(error);
      return false;
    }
  }

  /**
   * Events of all runs after `position` (null: from the beginning) in a global order that
   * never changes behind a reader: the cursor for dashboards and webhook dispatch.
   */
  async listGlobalAfter(position: string | null, limit = 1000): Promise<RunEvent[]> {
    if (position !== null && !/^\d+\.\d+$/.test(position)) {
      throw BatonError.validation([{ path: 'after', message: 'must be a position returned by the event feed' }]);
    }
    return this.repository.listGlobalAfter(position, limit);
  }

  /** The run's latest event of `type`, or undefined when it has none. */
  lastOfType(runId: string, type: RunEvent['type']): Promise<RunEvent | undefined> {
    return this.repository.lastOfType(runId, type);
  }

  /** Events of one run after `afterSeq`, in order. */
  listAfter(runId: string, afterSeq = 0, limit = 1000): Promise<RunEvent[]> {
    return this.repository.listAfter(runId, afterSeq, limit);
  }
}
