import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { Message, MessageKind } from './message.types.js';
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from './message-row.js';

export interface NewMessage {
  sender: string;
  kind: MessageKind;
  type: string;
  typeVersion: number;
  targetAgent: string | null;
  targetTopic: string | null;
  payload: unknown;
  nonce: string;
  correlationId: string | null;
  replyTo: string | null;
  runId: string | null;
  ttlSeconds: number | null;
  status: 'accepted' | 'denied';
  denyReason: string | null;
}

/** The message log, nonces and topic subscriptions. */
@Injectable()
export class MessageRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Records `(sender, nonce)`; false when it was seen inside the window (a replay). One
   * statement: a nonce older than the window is taken over (its row re-stamped), so pruning
   * is only housekeeping, never what makes a nonce usable again.
   */
  async claimNonce(sender: string, nonce: string, windowSeconds: number, tx: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await tx.query(
      `insert into message_nonces (sender, nonce) values ($1::text, $2::text)
       on conflict (sender, nonce) do update set seen_at = now()
         where message_nonces.seen_at < now() - make_interval(secs => $3::integer)
       returning sender`,
      [sender, nonce, windowSeconds],
    );
    return rowCount === 1;
  }

  async pruneNonces(windowSeconds: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `delete from message_nonces where seen_at < now() - make_interval(secs => $1::integer)`,
      [windowSeconds],
    );
    return rowCount;
  }

  async insert(message: NewMessage, tx: Queryable = this.db): Promise<Message> {
    const { rows } = await tx.query<MessageRow>(
      `insert into messages (sender, kind, type_name, type_version, target_agent, target_topic, payload, nonce,
                             correlation_id, reply_to, run_id, expires_at, status, deny_reason)
       values ($1::text, $2::text, $3::text, $4::integer, $5::text, $6::text, $7::jsonb, $8::text,
               $9::text, $10::text, $11::uuid,
               case when $12::integer is null then null else now() + make_interval(secs => $12::integer) end,
               $13::text, $14::text)
       returning ${MESSAGE_COLUMNS}`,
      [
        message.sender, message.kind, message.type, message.typeVersion, message.targetAgent, message.targetTopic,
        JSON.stringify(message.payload), message.nonce, message.correlationId, message.replyTo, message.runId,
        message.ttlSeconds, message.status, message.denyReason,
      ],
    );
    return toMessage(rows[0]!);
  }

  /** A request gets its own id as correlation id (known only after the insert). */
  async setCorrelationToId(id: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(`update messages set correlation_id = id::text where id = $1::uuid`, [id]);
  }

  async find(id: string, tx: Queryable = this.db): Promise<Message | undefined> {
    const { rows } = await tx.query<MessageRow>(`select ${MESSAGE_COLUMNS} from messages where id = $1::uuid`, [id]);
    return rows[0] ? toMessage(rows[0]) : undefined;
  }

  /**
   * Marks a request answered by `by` (a reply's sender, or the hub's timeout). Guarded on
   * `answered_at is null`: a reply and the timeout racing for one request both run this
   * update on the same row, so exactly one of them wins; the loser gets undefined.
   */
  async markAnswered(requestId: string, by: string, tx: Queryable = this.db): Promise<Message | undefined> {
    const { rows } = await tx.query<MessageRow>(
      `update messages set answered_at = now(), answered_by = $2::text
        where id = $1::uuid and kind = 'request' and status = 'accepted' and answered_at is null
        returning ${MESSAGE_COLUMNS}`,
      [requestId, by],
    );
    return rows[0] ? toMessage(rows[0]) : undefined;
  }

  /** Requests past their TTL and still unanswered (the timeout sweeper's batch). */
  async overdueRequests(limit: number, tx: Queryable = this.db): Promise<Message[]> {
    const { rows } = await tx.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from messages
        where kind = 'request' and status = 'accepted' and answered_at is null
          and expires_at is not null and expires_at <= now()
        order by expires_at limit $1::integer`,
      [limit],
    );
    return rows.map(toMessage);
  }

  async listRecent(limit: number, tx: Queryable = this.db): Promise<Message[]> {
    const { rows } = await tx.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from messages order by created_at desc, id desc limit $1::integer`,
      [limit],
    );
    return rows.map(toMessage);
  }

  async subscribe(topic: string, agent: string, tx: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await tx.query(
      `insert into topic_subscriptions (topic, agent) values ($1::text, $2::text) on conflict do nothing returning topic`,
      [topic, agent],
    );
    return rowCount === 1;
  }

  async unsubscribe(topic: string, agent: string, tx: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await tx.query(`delete from topic_subscriptions where topic = $1::text and agent = $2::text`, [topic, agent]);
    return rowCount === 1;
  }

  async subscribers(topic: string, tx: Queryable = this.db): Promise<string[]> {
    const { rows } = await tx.query<{ agent: string }>(
      `select agent from topic_subscriptions where topic = $1::text order by agent`,
      [topic],
    );
    return rows.map((row) => row.agent);
  }
}
