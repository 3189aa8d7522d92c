import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BatonError, type FieldError } from '@baton/common';
import type { Queryable } from '@baton/db';
import { ExternalEventRepository } from './external-event.repository.js';
import type { ExternalEvent } from './message.types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$/;
/** Keys Baton writes itself (agents' `event` messages); callers may not use the prefix. */
const MESSAGE_KEY_PREFIX = 'message:';

/** Events from outside Baton, stored durably; the `id` a caller gives makes posting idempotent. */
@Injectable()
export class ExternalEventsService {
  constructor(@Inject(ExternalEventRepository) private readonly events: ExternalEventRepository) {}

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
    return this.events.insertOnce({ key, name: input.name as string, data: input.data ?? null, source });
  }

  /** An agent's `event` message, stored as an event in the message's own transaction. */
  recordMessageEvent(messageId: string, name: string, data: unknown, sender: string, tx: Queryable): Promise<{ event: ExternalEvent; created: boolean }> {
    return this.events.insertOnce({ key: `${MESSAGE_KEY_PREFIX}${messageId}`, name, data, source: `agent:${sender}` }, tx);
  }

  list(limit: number, name?: string): Promise<ExternalEvent[]> {
    return this.events.listRecent(limit, name);
  }
}
