import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { LEASED_DELIVERY_STATUSES, MESSAGE_DELIVERY_MOVES } from './message-delivery-status.js';
import type { InboxItem } from './message.types.js';
import { messageColumnsOf, toMessage, type MessageRow } from './message-row.js';

type InboxRow = MessageRow & { delivery_id: string; attempts: number; lease_expires_at: Date; position: string };

/**
 * The inbox outbox: one row per (message, recipient), leased by pulls, closed by acks. Every
 * status change is a `MESSAGE_DELIVERY_MOVES` move; a pending entry has no lease
 * (`lease_expires_at` is null), so "no live lease" is `lease_expires_at is null or <= now()`.
 */
@Injectable()
export class DeliveryRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Queues `messageId` for each recipient. `unique (message_id, recipient)` with `do nothing`
   * makes this safe to run twice: one entry per inbox whatever happens.
   */
  async enqueue(messageId: string, recipients: string[], tx: Queryable = this.db): Promise<number> {
    if (recipients.length === 0) return 0;
    const { rowCount } = await tx.query(
      `insert into message_deliveries (message_id, recipient, expires_at)
       select m.id, r.recipient, m.expires_at from messages m, unnest($2::text[]) as r(recipient)
        where m.id = $1::uuid
       on conflict (message_id, recipient) do nothing`,
      [messageId, recipients],
    );
    return rowCount;
  }

  /**
   * Leases up to `limit` of `recipient`'s open deliveries, oldest first: pending ones and
   * leased ones whose lease ran out (the puller died or never acked: at-least-once). `skip
   * locked` lets two pullers of one inbox share it without taking the same entry; expired
   * and exhausted entries are left for the sweeper.
   */
  async lease(recipient: string, limit: number, leaseSeconds: number, maxAttempts: number, tx: Queryable = this.db): Promise<InboxItem[]> {
    const { rows } = await tx.query<InboxRow>(
      `with picked as (
         select id from message_deliveries
          where recipient = $1::text and status = any($5::text[])
            and (lease_expires_at is null or lease_expires_at <= now())
            and (expires_at is null or expires_at > now())
            and attempts < $4::integer
          order by position
          limit $2::integer
          for update skip locked
       ), leased as (
         update message_deliveries d
            set status = 'leased', attempts = d.attempts + 1,
                lease_expires_at = now() + make_interval(secs => $3::integer)
           from picked where d.id = picked.id
         returning d.id, d.message_id, d.attempts, d.lease_expires_at, d.position
       )
       select leased.id as delivery_id, leased.attempts, leased.lease_expires_at, leased.position::text as position, ${messageColumnsOf('m')}
         from leased join messages m on m.id = leased.message_id
        order by leased.position`,
      [recipient, limit, leaseSeconds, maxAttempts, MESSAGE_DELIVERY_MOVES.lease.from],
    );
    return rows.map((row) => ({
      deliveryId: row.delivery_id,
      attempts: row.attempts,
      leaseExpiresAt: row.lease_expires_at,
      position: row.position,
      message: toMessage(row),
    }));
  }

  /**
   * An SSE client resumed after `position` (its Last-Event-ID): entries leased to it later were
   * sent on the dropped connection but never seen, so their leases end now and they go out
   * again at once instead of after the lease.
   */
  async releaseAfter(recipient: string, position: string, tx: Queryable = this.db): Promise<number> {
    const { rowCount } = await tx.query(
      `update message_deliveries set lease_expires_at = now()
        where recipient = $1::text and status = any($3::text[]) and position > $2::bigint and lease_expires_at > now()`,
      [recipient, position, LEASED_DELIVERY_STATUSES],
    );
    return rowCount;
  }

  /**
   * Closes a delivery. Only its recipient may ack it; acking twice is fine (the same answer).
   * Returns the status after the call (`fresh` when this call closed it, with the message's
   * run), or undefined when the recipient has no such delivery.
   */
  async ack(
    deliveryId: string,
    recipient: string,
    tx: Queryable = this.db,
  ): Promise<{ status: string; fresh: boolean; messageId: string; runId: string | null } | undefined> {
    const { rows } = await tx.query<{ status: string; fresh: boolean; message_id: string; run_id: string | null }>(
      `with acked as (
         update message_deliveries set status = 'acked', acked_at = now(), lease_expires_at = null, last_error = null
          where id = $1::uuid and recipient = $2::text and status = any($3::text[])
         returning status, message_id
       )
       select a.status, true as fresh, a.message_id, m.run_id from acked a join messages m on m.id = a.message_id
       union all
       select status, false, message_id, null from message_deliveries
        where id = $1::uuid and recipient = $2::text and not exists (select 1 from acked)`,
      [deliveryId, recipient, MESSAGE_DELIVERY_MOVES.ack.from],
    );
    const row = rows[0];
    return row ? { status: row.status, fresh: row.fresh, messageId: row.message_id, runId: row.run_id } : undefined;
  }

  /** Open deliveries past their message's TTL become `expired`; exhausted ones `dead`. */
  async sweep(maxAttempts: number): Promise<{ expired: number; dead: number }> {
    const expired = await this.db.query(
      `update message_deliveries set status = 'expired', lease_expires_at = null
        where status = any($1::text[]) and expires_at is not null and expires_at <= now()
          and (lease_expires_at is null or lease_expires_at <= now())`,
      [MESSAGE_DELIVERY_MOVES.expire.from],
    );
    const dead = await this.db.query(
      `update message_deliveries set status = 'dead', lease_expires_at = null
        where status = any($2::text[]) and lease_expires_at <= now() and attempts >= $1::integer`,
      [maxAttempts, MESSAGE_DELIVERY_MOVES.bury.from],
    );
    return { expired: expired.rowCount, dead: dead.rowCount };
  }

  /** Per-status counts for one message (the message log's view). */
  async statusesOf(messageId: string, tx: Queryable = this.db): Promise<Array<{ recipient: string; status: string; attempts: number }>> {
    const { rows } = await tx.query<{ recipient: string; status: string; attempts: number }>(
      `select recipient, status, attempts from message_deliveries where message_id = $1::uuid order by recipient`,
      [messageId],
    );
    return rows;
  }
}
