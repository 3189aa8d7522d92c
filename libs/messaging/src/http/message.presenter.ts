import type { ExternalEvent, InboxItem, Message, MessageType } from '../message.types.js';

/** The wire shape of a message: snake_case, like the request body. */
export function toMessageResponse(message: Message): Record<string, unknown> {
  return {
    id: message.id,
    from: message.sender,
    to: message.to,
    kind: message.kind,
    type: message.type,
    type_version: message.typeVersion,
    payload: message.payload,
    nonce: message.nonce,
    correlation_id: message.correlationId,
    reply_to: message.replyTo,
    run_id: message.runId,
    expires_at: message.expiresAt?.toISOString() ?? null,
    status: message.status,
    deny_reason: message.denyReason,
    answered_at: message.answeredAt?.toISOString() ?? null,
    answered_by: message.answeredBy,
    created_at: message.createdAt.toISOString(),
  };
}

export function toInboxResponse(item: InboxItem): Record<string, unknown> {
  return {
    delivery_id: item.deliveryId,
    attempt: item.attempts,
    lease_expires_at: item.leaseExpiresAt.toISOString(),
    message: toMessageResponse(item.message),
  };
}

export function toMessageTypeResponse(type: MessageType): Record<string, unknown> {
  return {
    name: type.name,
    version: type.version,
    schema: type.schema,
    description: type.description,
    created_by: type.createdBy,
    created_at: type.createdAt.toISOString(),
  };
}

export function toEventResponse(event: ExternalEvent): Record<string, unknown> {
  return { id: event.key, event_id: event.id, name: event.name, data: event.data, source: event.source, created_at: event.createdAt.toISOString() };
}
