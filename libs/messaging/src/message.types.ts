/** What a message is for: a `request` expects one `reply`; an `event` expects nothing. */
export const MESSAGE_KINDS = ['request', 'event', 'reply'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Where a message goes: one agent's inbox, or every subscriber of a topic. */
export type MessageTarget = { agent: string } | { topic: string };

/** The name Baton sends its own messages under (request timeouts). */
export const HUB_SENDER = 'baton';
/** The type of the reply Baton sends when a request was not answered within its TTL. */
export const TIMEOUT_TYPE = 'baton.timeout';

export interface MessageType {
  name: string;
  version: number;
  schema: Record<string, unknown>;
  description: string | null;
  createdBy: string;
  createdAt: Date;
}

export interface Message {
  id: string;
  sender: string;
  kind: MessageKind;
  type: string;
  typeVersion: number;
  to: MessageTarget;
  payload: unknown;
  nonce: string;
  correlationId: string | null;
  replyTo: string | null;
  runId: string | null;
  expiresAt: Date | null;
  status: 'accepted' | 'denied';
  denyReason: string | null;
  answeredAt: Date | null;
  answeredBy: string | null;
  createdAt: Date;
}

/** A message in one recipient's inbox. `deliveryId` is stable across redeliveries: dedupe on it. */
export interface InboxItem {
  deliveryId: string;
  attempts: number;
  leaseExpiresAt: Date;
  /** The entry's place in the outbox (the SSE event id of the inbox stream). */
  position?: string;
  message: Message;
}

export interface ExternalEvent {
  id: string;
  key: string;
  name: string;
  data: unknown;
  source: string;
  createdAt: Date;
}
