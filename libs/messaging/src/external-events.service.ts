import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BatonError, type FieldError } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import { EventWaitService } from './event-wait.service.js';
import { ExternalEventRepository } from './external-event.repository.js';
import type { ExternalEvent } from './message.types.js';
import { TriggerDispatcherService } from './trigger-dispatcher.service.js';
import { TriggerRepository } from './trigger.repository.js';

/** An event with the runs it started (triggers) and resumed (wait steps). */
export interface ExternalEventWithRuns extends ExternalEvent {
  started: Array<{ runId: string; trigger: string }>;
  resumed: Array<{ runId: string; stepKey: string }>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$/;
/** Keys Baton writes itself (agents' `event` messages); callers may not use the prefix. */
const MESSAGE_KEY_PREFIX = 'message:';

/** Events from outside Baton, stored durably; the `id` a caller gives makes posting idempotent. */
@Injectable()
export class ExternalEventsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ExternalEventRepository) private readonly events: ExternalEventRepository,
    @Inject(EventWaitService) private readonly waits: EventWaitService,
    @Inject(TriggerDispatcherService) private readonly dispatcher: TriggerDispatcherService,
    @Inject(TriggerRepository) private readonly triggers: TriggerRepository,
  ) {}

  async record(input: { name?: unknown; data?: unknown; id?: unknown }, source: string): Promise<{ event: ExternalEvent; created: boolean }> {
    const errors: FieldError[] = [];
    if (typeof input.name !== 'string' || !NAME.test(input.name)) {
      errors.push({ path: 'name', message: 'must be 1-200 characters: letters, digits, "_", ".", ":", "/" or "-"' });
    }
    if (input.id !== undefined && (typeof input.id !== 'string' || input.id.length === 0 || input.id.length > 200)) {
      errors.push({ path: 'id', message: 'must be a string of 1-200 characters' });
    } else if (typeof input.id === 'string' && input.id.startsWith(MESSAGE_KEY_PREFIX)) {
      errors.push({ path: 'id', message: `must not start with "${MESSAGE_KEY_PREFIX}" (reserved for agents' event messages)` });
    }
    if (errors.length > 0) throw BatonError.validation(errors);
    const key = typeof input.id === 'string' ? input.id : randomUUID();
    return this.db.transaction((tx) => this.store({ key, name: input.name as string, data: input.data ?? null, source }, tx));
  }

  /** An agent's `event` message, stored as an event in the message's own transaction. */
  recordMessageEvent(messageId: string, name: string, data: unknown, sender: string, tx: Transaction): Promise<{ event: ExternalEvent; created: boolean }> {
    return this.store({ key: `${MESSAGE_KEY_PREFIX}${messageId}`, name, data, source: `agent:${sender}` }, tx);
  }

  /** Stores the event and, in the same transaction, satisfies the waits it matches. */
  private async store(event: { key: string; name: string; data: unknown; source: string }, tx: Transaction): Promise<{ event: ExternalEvent; created: boolean }> {
    const stored = await this.events.insertOnce(event, tx);
    if (stored.created) {
      await this.waits.matchEvent(stored.event, tx);
      tx.afterCommit(() => this.dispatcher.wake());
    }
    return stored;
  }

  /**
   * Delivers `data` to one waiting `type: wait` step of a run (a session's `signal`): stored
   * as an event of the name that step waits for, addressed to it alone (no other wait, no
   * trigger sees it), and the step woken in the same transaction; its output is that event.
   * `stepKey` is needed only when several steps of the run wait at once. A `conflict` when
   * nothing (or not that step) waits.
   */
  async signal(runId: string, stepKey: string | undefined, data: unknown, source: string): Promise<{ stepKey: string; event: ExternalEvent }> {
    return this.db.transaction(async (tx) => {
      const open = await this.waits.openWaitsOf(runId, tx);
      const candidates = stepKey === undefined ? open : open.filter((wait) => wait.stepKey === stepKey);
      if (candidates.length === 0) {
        const what = stepKey === undefined ? 'no step of this run' : `step ${stepKey}`;
        throw new BatonError('conflict', `${what} is waiting for an event`, { code: 'NOT_WAITING' });
      }
      if (candidates.length > 1) {
        throw BatonError.validation([{ path: 'step', message: `several steps wait (${candidates.map((w) => w.stepKey).join(', ')}): name one` }]);
      }
      const wait = candidates[0]!;
      const event = await this.events.insertSignal({ key: `signal:${randomUUID()}`, name: wait.event, data, source }, tx);
      if (!(await this.waits.matchSignal(wait, event.id, tx))) throw new Error(`wait ${wait.id} closed while locked`);
      return { stepKey: wait.stepKey, event };
    });
  }

  async get(id: string): Promise<ExternalEvent> {
    const event = await this.events.findById(id);
    if (!event) throw BatonError.notFound('event', id);
    return event;
  }

  /** Newest first, each with the runs it started and resumed. */
  async list(limit: number, name?: string): Promise<ExternalEventWithRuns[]> {
    const events = await this.events.listRecent(limit, name);
    const ids = events.map((event) => event.id);
    const [started, resumed] = await Promise.all([this.triggers.runsOf(ids), this.waits.resumedBy(ids)]);
    return events.map((event) => ({ ...event, started: started.get(event.id) ?? [], resumed: resumed.get(event.id) ?? [] }));
  }
}
