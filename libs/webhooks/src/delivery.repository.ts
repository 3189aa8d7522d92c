import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { readRunTraceContext } from '@baton/telemetry';
import type { ClaimedDelivery, DeliveryStatus, WebhookDelivery, WebhookEventPayload } from './webhook.types.js';
import { DELIVERY_MOVES, OPEN_DELIVERY_STATUSES } from './delivery-status.js';

interface DeliveryRow {
  id: string;
  position: number;
  subscription_id: string;
  event_id: number;
  event_type: string;
  run_id: string;
  event_seq: number;
  event: WebhookEventPayload;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    position: Number(row.position),
    subscriptionId: row.subscription_id,
    eventId: Number(row.event_id),
    eventType: row.event_type,
    runId: row.run_id,
    eventSeq: Number(row.event_seq),
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    deadAt: row.dead_at,
  };
}

const COLUMNS = `id, position, subscription_id, event_id, event_type, run_id, event_seq, event, status, attempts,
  next_attempt_at, last_attempt_at, last_status_code, last_error, created_at, delivered_at, dead_at`;

/** NOTIFY channel: new deliveries are due. */
export const WEBHOOK_CHANNEL = 'baton_webhook_deliveries';

/** One event for one subscription, about to enter the outbox. */
export interface NewDelivery {
  subscriptionId: string;
  eventId: number;
  eventType: string;
  runId: string;
  eventSeq: number;
  event: WebhookEventPayload;
}

export interface DeliveryPage {
  status?: DeliveryStatus;
  limit: number;
  /** Only deliveries older than this position (the previous page's last). */
  beforePosition?: number;
}

/** The outbox: insert, claim under a lease, settle, list. */
@Injectable()
export class DeliveryRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Inserts in the given order (event order), skipping pairs already present: the unique
   * (subscription, event) is the second guard behind the dispatch lock.
   */
  async insertMany(deliveries: NewDelivery[], tx: Queryable): Promise<number> {
    if (deliveries.length === 0) return 0;
    const payload = deliveries.map((d, ord) => ({
      ord,
      subscription_id: d.subscriptionId,
      event_id: d.eventId,
      event_type: d.eventType,
      run_id: d.runId,
      event_seq: d.eventSeq,
      event: d.event,
    }));
    const { rowCount } = await tx.query(
      `insert into webhook_deliveries (subscription_id, event_id, event_type, run_id, event_seq, event)
       select d.subscription_id, d.event_id, d.event_type, d.run_id, d.event_seq, d.event
         from jsonb_to_recordset($1::jsonb)
           as d(ord int, subscription_id uuid, event_id bigint, event_type text, run_id uuid, event_seq bigint, event jsonb)
        order by d.ord
       on conflict on constraint webhook_deliveries_subscription_event_key do nothing`,
      [JSON.stringify(payload)],
    );
    return rowCount;
  }

  /** Wakes the delivery workers of every instance once the caller's transaction commits. */
  async notifyDue(tx: Queryable): Promise<void> {
    await tx.query('select pg_notify($1::text, $2::text)', [WEBHOOK_CHANNEL, '']);
  }

  /**
   * Claims up to `limit` due deliveries for `owner` and counts the attempt. Only active
   * subscriptions whose destination is not blocked are looked at (a dead receiver's backlog
   * costs nothing here), each walked in due order through its own index; a destination that
   * has been failing gets one delivery per subscription, a probe. `skip locked` lets
   * concurrent claimers pass each other; the lease keeps a claimed row from being claimed
   * again until it expires (its worker died). A delivery waits while an earlier event of
   * the same run for the same subscription is still pending, which keeps each run's events
   * in order for each receiver.
   */
  async claim(owner: string, leaseMs: number, limit: number, tx: Queryable = this.db): Promise<ClaimedDelivery[]> {
    const { rows } = await tx.query<{
      id: string; subscription_id: string; url: string; secret: string; event_type: string; event: WebhookEventPayload; attempts: number;
      format: string; format_options: Record<string, unknown>; destination: string | null; probe: boolean; trace_context: unknown;
    }>(
      `with open as (
         select s.id, coalesce(dst.failures, 0) > 0 as probe
           from webhook_subscriptions s
           left join webhook_destinations dst on dst.origin = s.destination
          where s.active and (dst.origin is null or dst.blocked_until <= now())
       ), due as (
         select c.id, o.probe from open o
         cross join lateral (
           select d.id, d.next_attempt_at, d.position from webhook_deliveries d
            where d.subscription_id = o.id and d.status = any($4::text[]) and d.next_attempt_at <= now()
              and (d.lease_expires_at is null or d.lease_expires_at <= now())
              and not exists (
                select 1 from webhook_deliveries p
                 where p.subscription_id = d.subscription_id and p.run_id = d.run_id
                   and p.status = any($4::text[]) and p.event_seq < d.event_seq)
            order by d.next_attempt_at, d.position
            limit case when o.probe then 1 else $2::int end
            for update of d skip locked
         ) c
         order by c.next_attempt_at, c.position
         limit $2::int
       )
       update webhook_deliveries w
          set attempts = w.attempts + 1, lease_owner = $1::text, last_attempt_at = now(),
              lease_expires_at = now() + $3::int * interval '1 millisecond'
         from due, webhook_subscriptions s
        where w.id = due.id and s.id = w.subscription_id
       returning w.id, w.subscription_id, s.url, s.secret, w.event_type, w.event, w.attempts, s.format, s.format_options,
                 s.destination, due.probe,
                 (select r.trace_context from orchestration_runs r where r.id = w.run_id) as trace_context`,
      [owner, limit, leaseMs, OPEN_DELIVERY_STATUSES],
    );
    return rows.map((row) => ({
      id: row.id,
      subscriptionId: row.subscription_id,
      url: row.url,
      secret: row.secret,
      eventType: row.event_type,
      event: row.event,
      attempts: row.attempts,
      format: row.format,
      formatOptions: row.format_options ?? {},
      destination: row.destination ?? row.url,
      probe: row.probe,
      traceContext: readRunTraceContext(row.trace_context),
    }));
  }

  /** Records a 2xx. Guarded by the lease: false when another worker took the row over. */
  async markDelivered(claim: ClaimedDelivery, owner: string, statusCode: number, tx: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update webhook_deliveries
          set status = $6::text, delivered_at = now(), last_status_code = $4::int, last_error = null,
              lease_owner = null, lease_expires_at = null
        where id = $1::uuid and lease_owner = $2::text and attempts = $3::int and status = any($5::text[])`,
      [claim.id, owner, claim.attempts, statusCode, DELIVERY_MOVES.deliver.from, DELIVERY_MOVES.deliver.to],
    );
    return rowCount > 0;
  }

  /** Records a failed attempt: retry after `delayMs`, or `dead` (kept). Guarded like markDelivered. */
  async markFailed(
    claim: ClaimedDelivery,
    owner: string,
    outcome: { statusCode: number | null; error: string; dead: boolean; delayMs: number },
    tx: Queryable = this.db,
  ): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update webhook_deliveries
          set status = case when $6::boolean then $9::text else status end,
              dead_at = case when $6::boolean then now() end,
              next_attempt_at = now() + $7::int * interval '1 millisecond',
              last_status_code = $4::int, last_error = $5::text, lease_owner = null, lease_expires_at = null
        where id = $1::uuid and lease_owner = $2::text and attempts = $3::int and status = any($8::text[])`,
      [claim.id, owner, claim.attempts, outcome.statusCode, outcome.error, outcome.dead, outcome.delayMs,
        DELIVERY_MOVES.bury.from, DELIVERY_MOVES.bury.to],
    );
    return rowCount > 0;
  }

  /**
   * Extends the leases `owner` still holds on `ids`; resolves the ids still held. A row that
   * was settled, released or taken over after its lease expired is not returned: its worker
   * aborts the request (the other worker's outcome is the one that counts).
   */
  async renew(ids: string[], owner: string, leaseMs: number, tx: Queryable = this.db): Promise<Set<string>> {
    const { rows } = await tx.query<{ id: string }>(
      `update webhook_deliveries
          set lease_expires_at = now() + $3::int * interval '1 millisecond'
        where id = any($1::uuid[]) and lease_owner = $2::text and status = any($4::text[])
       returning id`,
      [ids, owner, leaseMs, DELIVERY_MOVES.deliver.from],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Hands an interrupted attempt back (shutdown): due now, and the attempt does not count. */
  async release(claim: ClaimedDelivery, owner: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `update webhook_deliveries
          set attempts = attempts - 1, next_attempt_at = now(), lease_owner = null, lease_expires_at = null
        where id = $1::uuid and lease_owner = $2::text and attempts = $3::int and status = any($4::text[])`,
      [claim.id, owner, claim.attempts, DELIVERY_MOVES.deliver.from],
    );
  }

  /**
   * Puts a dead delivery back in the outbox, due now with a fresh attempt budget (its last
   * status code and error stay until the next attempt). Undefined unless it was dead.
   */
  async redeliver(subscriptionId: string, deliveryId: string, tx: Queryable = this.db): Promise<WebhookDelivery | undefined> {
    const { rows } = await tx.query<DeliveryRow>(
      `update webhook_deliveries
          set status = $4::text, attempts = 0, next_attempt_at = now(), dead_at = null,
              lease_owner = null, lease_expires_at = null
        where id = $1::uuid and subscription_id = $2::uuid and status = any($3::text[])
       returning ${COLUMNS}`,
      [deliveryId, subscriptionId, DELIVERY_MOVES.redeliver.from, DELIVERY_MOVES.redeliver.to],
    );
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  async find(subscriptionId: string, deliveryId: string, tx: Queryable = this.db): Promise<WebhookDelivery | undefined> {
    const { rows } = await tx.query<DeliveryRow>(
      `select ${COLUMNS} from webhook_deliveries where id = $1::uuid and subscription_id = $2::uuid`,
      [deliveryId, subscriptionId],
    );
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  /** A subscription's deliveries, newest first. */
  async listForSubscription(subscriptionId: string, page: DeliveryPage, tx: Queryable = this.db): Promise<WebhookDelivery[]> {
    const { rows } = await tx.query<DeliveryRow>(
      `select ${COLUMNS} from webhook_deliveries
        where subscription_id = $1::uuid
          and ($2::text is null or status = $2::text)
          and ($3::bigint is null or position < $3::bigint)
        order by position desc limit $4::int`,
      [subscriptionId, page.status ?? null, page.beforePosition ?? null, page.limit],
    );
    return rows.map(toDelivery);
  }
}
