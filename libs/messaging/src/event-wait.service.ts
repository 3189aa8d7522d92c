import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonError, type FieldError } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import { StepTransitionsService } from '@baton/runs';
import { EventWaitRepository, type EventWait } from './event-wait.repository.js';

/** In-process signal after commit: a wait was satisfied (`EventWaitMatched`) or timed out. */
export const EVENT_WAIT_MATCHED = 'messaging.event_wait.matched';
export const EVENT_WAIT_TIMED_OUT = 'messaging.event_wait.timed_out';
export interface EventWaitSignal {
  runId: string;
  stepKey: string;
  eventId: string | null;
}

export interface WaitForEventInput {
  runId: string;
  stepKey: string;
  event: string;
  /** A JSON object the event's data must contain; `{}` (default) matches any. */
  match?: Record<string, unknown>;
  /** A CEL condition over `event` and `context` (the run's `input`, `steps`) that must also hold. */
  condition?: { source: string; context: Record<string, unknown> };
  /** Events stored at or after this count (the run's start, or the step's ready time). */
  since: Date;
  timeoutSeconds?: number;
  /**
   * A fresh attempt of the step (an operator retried the run): a wait that timed out before
   * is opened again instead of timing out at once.
   */
  reopen?: boolean;
}

/**
 * The messaging side of a step that waits for an event. The engine calls `waitFor` when it
 * claims such a step, ideally inside the claim's transaction (`tx`): if a matching event was
 * already stored since `since`, the wait is matched at once (the event that arrived just
 * before the wait started is not lost); otherwise the wait stays open until
 * `ExternalEventsService` records a match. The step is woken in the transaction that matches
 * (or times out) its wait, so no crash can separate the two; `EVENT_WAIT_MATCHED` and
 * `EVENT_WAIT_TIMED_OUT` follow after commit, for listeners that only want to know.
 */
@Injectable()
export class EventWaitService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EventWaitRepository) private readonly waits: EventWaitRepository,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
  ) {}

  async waitFor(input: WaitForEventInput, tx?: Transaction): Promise<EventWait> {
    checkInput(input);
    const run = async (t: Transaction): Promise<EventWait> => {
      await this.waits.lockName(input.event, t, 'wait');
      const match = input.match ?? {};
      const stored = await this.waits.firstStoredMatch(input.event, match, input.since, input.condition ?? null, t);
      return this.waits.insert(
        {
          runId: input.runId,
          stepKey: input.stepKey,
          event: input.event,
          match,
          condition: input.condition ?? null,
          since: input.since,
          timeoutSeconds: input.timeoutSeconds ?? null,
          eventId: stored ?? null,
        },
        input.reopen ?? false,
        t,
      );
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  get(runId: string, stepKey: string): Promise<EventWait | undefined> {
    return this.waits.find(runId, stepKey);
  }

  /** Called by `ExternalEventsService` inside the event's transaction. */
  async matchEvent(event: { id: string; key: string; name: string; data: unknown; source: string; createdAt: Date }, tx: Transaction): Promise<void> {
    await this.waits.lockName(event.name, tx, 'event');
    const matched = await this.waits.matchOpenWaits(event, tx);
    for (const wait of matched) await this.transitions.wakeAfterEvent(tx, wait.runId, wait.stepKey, 'event_matched');
    if (matched.length > 0) tx.afterCommit(() => this.signal(EVENT_WAIT_MATCHED, matched));
  }

  /** A run's open waits, locked until the transaction ends (a signal chooses among them). */
  openWaitsOf(runId: string, tx: Transaction): Promise<EventWait[]> {
    return this.waits.openWaitsOfRun(runId, tx);
  }

  /**
   * Closes one wait with an event addressed to it (a session's `signal`), whatever its
   * `match`, and wakes its step in the same transaction. False if the wait closed meanwhile.
   */
  async matchSignal(wait: EventWait, eventId: string, tx: Transaction): Promise<boolean> {
    await this.waits.lockName(wait.event, tx, 'event');
    const matched = await this.waits.matchOne(wait.id, eventId, tx);
    if (!matched) return false;
    await this.transitions.wakeAfterEvent(tx, matched.runId, matched.stepKey, 'event_matched');
    tx.afterCommit(() => this.signal(EVENT_WAIT_MATCHED, [matched]));
    return true;
  }

  /** The sweeper's part: waits past their timeout, each step woken in the same transaction. */
  async expireDue(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const expired = await this.waits.expire(tx);
      for (const wait of expired) await this.transitions.wakeAfterEvent(tx, wait.runId, wait.stepKey, 'event_timed_out');
      if (expired.length > 0) tx.afterCommit(() => this.signal(EVENT_WAIT_TIMED_OUT, expired));
      return expired.length;
    });
  }

  /** Runs whose waits an event satisfied (`GET /api/v1/events/external`). */
  resumedBy(eventIds: string[]): Promise<Map<string, Array<{ runId: string; stepKey: string }>>> {
    return this.waits.byEvents(eventIds);
  }

  private signal(name: string, waits: EventWait[]): void {
    for (const wait of waits) {
      const payload: EventWaitSignal = { runId: wait.runId, stepKey: wait.stepKey, eventId: wait.eventId };
      this.emitter.emit(name, payload);
    }
  }
}

function checkInput(input: WaitForEventInput): void {
  const errors: FieldError[] = [];
  if (!input.event) errors.push({ path: 'event', message: 'is required' });
  if (input.match !== undefined && (typeof input.match !== 'object' || input.match === null || Array.isArray(input.match))) {
    errors.push({ path: 'match', message: 'must be an object' });
  }
  if (input.timeoutSeconds !== undefined && (!Number.isInteger(input.timeoutSeconds) || input.timeoutSeconds < 1)) {
    errors.push({ path: 'timeout_seconds', message: 'must be an integer >= 1' });
  }
  if (errors.length > 0) throw BatonError.validation(errors);
}
