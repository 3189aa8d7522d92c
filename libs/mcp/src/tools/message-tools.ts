import { randomUUID } from 'node:crypto';
import { BatonError } from '@baton/common';
import { principalLabel } from '@baton/identity';
import { ExternalEventsService, InboxService, MESSAGE_KINDS, MessagingService, toEventResponse, toInboxResponse, toMessageResponse } from '@baton/messaging';
import type { McpTool } from './mcp-tool.js';
import { LIST, OBJECT, args, result, text, uuid } from './schemas.js';

const NAME = '^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,199}$';

/**
 * The agent bus (docs/messaging.md) as tools: send a message, pull and acknowledge the
 * caller's inbox, publish an external event. The sender is the calling token, as on REST;
 * the messaging service checks types, payloads and who may send to whom.
 */
export function messageTools(messaging: MessagingService, inbox: InboxService, events: ExternalEventsService): McpTool[] {
  return [
    {
      name: 'send_message',
      title: 'Send a message',
      description:
        'Sends a message on the agent bus to an agent ({ to: { agent } }) or a topic ({ to: { topic } }), or a reply ' +
        '(kind reply, correlationId = the request id). The payload must match the message type\'s schema. ' +
        'nonce makes a retried send count once (a fresh one is made when absent).',
      permissions: ['runs.submit'],
      inputSchema: args(
        {
          to: args({ agent: { type: 'string', pattern: NAME }, topic: { type: 'string', pattern: NAME } }),
          kind: { type: 'string', enum: [...MESSAGE_KINDS] },
          type: text('the message type', 120),
          payload: { description: 'the message body (JSON)' },
          nonce: text('a unique id for this send (replays are refused)'),
          correlationId: text('for a reply: the id of the request it answers'),
          replyTo: { type: 'string', pattern: NAME, description: 'where replies should go (an agent)' },
          ttlSeconds: { type: 'integer', minimum: 1, maximum: 604_800 },
          runId: uuid('the run this message belongs to'),
        },
        ['kind', 'type', 'payload'],
      ),
      outputSchema: result({ message: OBJECT, recipients: { type: 'array', items: { type: 'string' } } }),
      async call(a, caller) {
        const to = a.to as { agent?: string; topic?: string } | undefined;
        if (to && (to.agent === undefined) === (to.topic === undefined)) {
          throw BatonError.validation([{ path: 'to', message: 'give exactly one of agent or topic' }]);
        }
        const { message, recipients } = await messaging.send(caller.principal, {
          to: to ? (to.agent !== undefined ? { agent: to.agent } : { topic: to.topic! }) : undefined,
          kind: a.kind,
          type: a.type,
          payload: a.payload,
          nonce: a.nonce ?? randomUUID(),
          correlationId: a.correlationId,
          replyTo: a.replyTo,
          ttlSeconds: a.ttlSeconds,
          runId: a.runId,
        } as Parameters<MessagingService['send']>[1]);
        return { message: toMessageResponse(message), recipients };
      },
    },
    {
      name: 'receive_messages',
      title: 'Receive messages',
      description:
        'Leases the caller\'s next inbox entries (waitSeconds long-polls an empty inbox). Acknowledge each with ack_message ' +
        'once handled; an entry not acknowledged is delivered again when its lease runs out.',
      permissions: ['runs.submit'],
      inputSchema: args({ limit: { type: 'integer', minimum: 1, maximum: 100 }, waitSeconds: { type: 'integer', minimum: 0, maximum: 20 } }),
      outputSchema: result({ items: LIST }),
      async call(a, caller, context) {
        const items = await inbox.pull(caller.principal, { limit: a.limit ?? 10, waitSeconds: a.waitSeconds ?? 0, signal: context.signal });
        return { items: items.map(toInboxResponse) };
      },
    },
    {
      name: 'ack_message',
      title: 'Acknowledge a message',
      description: 'Marks an inbox entry (its delivery_id from receive_messages) as handled: it is never delivered again.',
      permissions: ['runs.submit'],
      inputSchema: args({ deliveryId: uuid('the delivery_id of the inbox entry') }, ['deliveryId']),
      outputSchema: result({ delivery_id: { type: 'string' }, status: { type: 'string' } }),
      async call(a, caller) {
        await inbox.ack(caller.principal, a.deliveryId);
        return { delivery_id: a.deliveryId, status: 'acked' };
      },
    },
    {
      name: 'publish_event',
      title: 'Publish an event',
      description: 'Records an external event ({ name, data?, id? }): steps and agents waiting for it are told. A repeated id is recorded once.',
      permissions: ['runs.submit'],
      inputSchema: args({ name: text('the event name'), data: { description: 'the event data (JSON)' }, id: text('an id that makes a re-sent event count once') }, ['name']),
      outputSchema: result({ event: OBJECT, created: { type: 'boolean' } }),
      async call(a, caller) {
        const { event, created } = await events.record({ name: a.name, data: a.data, id: a.id }, principalLabel(caller.principal));
        return { event: toEventResponse(event), created };
      },
    },
  ];
}
