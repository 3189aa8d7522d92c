import type { Message, MessageKind } from './message.types.js';

/** A `messages` row as the repositories read it. */
export interface MessageRow {
  id: string;
  sender: string;
  kind: string;
  type_name: string;
  type_version: number;
  target_agent: string | null;
  target_topic: string | null;
  payload: unknown;
  nonce: string;
  correlation_id: string | null;
  reply_to: string | null;
  run_id: string | null;
  expires_at: Date | null;
  status: string;
  deny_reason: string | null;
  answered_at: Date | null;
  answered_by: string | null;
  created_at: Date;
}

export const MESSAGE_COLUMNS =
  'id, sender, kind, type_name, type_version, target_agent, target_topic, payload, nonce, correlation_id, reply_to, run_id, expires_at, status, deny_reason, answered_at, answered_by, created_at';

/** `MESSAGE_COLUMNS` qualified with a table alias, for joins. */
export function messageColumnsOf(alias: string): string {
  return MESSAGE_COLUMNS.split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    sender: row.sender,
    kind: row.kind as MessageKind,
    type: row.type_name,
    typeVersion: row.type_version,
    to: row.target_agent !== null ? { agent: row.target_agent } : { topic: row.target_topic ?? '' },
    payload: row.payload,
    nonce: row.nonce,
    correlationId: row.correlation_id,
    replyTo: row.reply_to,
    runId: row.run_id,
    expiresAt: row.expires_at,
    status: row.status as Message['status'],
    denyReason: row.deny_reason,
    answeredAt: row.answered_at,
    answeredBy: row.answered_by,
    createdAt: row.created_at,
  };
}
