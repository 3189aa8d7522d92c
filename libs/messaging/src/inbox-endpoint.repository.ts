import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { LEASED_DELIVERY_STATUSES, MESSAGE_DELIVERY_MOVES } from './message-delivery-status.js';
import type { InboxItem } from './message.types.js';
import { messageColumnsOf, toMessage, type MessageRow } from './message-row.js';

/** Where an agent's mail is pushed, and the secret its requests are signed with. */
export interface InboxEndpoint {
  agent: string;
  /** Exactly one of `url` (signed JSON POSTs) and `a2aAgent` (a registered A2A agent) is set. */
  url: string | null;
  a2aAgent: string | null;
  secret: string;
  updatedAt: Date;
}

type EndpointRow = { agent: string; url: string | null; a2a_agent: string | null; secret: string; updated_at: Date };

function toEndpoint(row: EndpointRow): InboxEndpoint {
  return { agent: row.agent, url: row.url, a2aAgent: row.a2a_agent, secret: row.secret, updatedAt: row.updated_at };
}

/** A delivery leased for a push: the inbox entry plus where it goes. */
export interface PushItem extends InboxItem {
  recipient: string;
  url: string | null;
  a2aAgent: string | null;
  secret: string;
}

type PushRow = MessageRow & {
  delivery_id: string;
  attempts: number;
  lease_expires_at: Date;
  recipient: string;
  url: string | null;
  a2a_agent: string | null;
  secret: string;
};

/** `inbox_endpoints` and the push side of `message_deliveries`. */
@Injectable()
export class InboxEndpointRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async upsert(agent: string, target: { url: string | null; a2aAgent: string | null }, secret: string, tx: Queryable = this.db): Promise<InboxEndpoint> {
    const { rows } = await tx.query<EndpointRow>(
      `insert into inbox_endpoints (agent, url, a2a_agent, secret) values ($1::text, $2::text, $3::text, $4::text)
       on conflict (agent) do update set url = excluded.url, a2a_agent = excluded.a2a_agent, secret = excluded.secret, updated_at = now()
       returning agent, url, a2a_agent, secret, updated_at`,
      [agent, target.url, target.a2aAgent, secret],
    );
    return toEndpoint(rows[0]!);
  }

  async find(agent: string, tx: Queryable = this.db): Promise<InboxEndpoint | undefined> {
    const { rows } = await tx.query<EndpointRow>(`select agent, url, a2a_agent, secret, updated_at from inbox_endpoints where agent = $1::text`, [agent]);
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  /** Every agent with an endpoint (a handful: agents that can be reached). */
  async agents(tx: Queryable = this.db): Promise<string[]> {
    const { rows } = await tx.query<{ agent: string }>(`select agent from inbox_endpoints`);
    return rows.map((row) => row.agent);
  }

  async remove(agent: string, tx: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await tx.query(`delete from inbox_endpoints where agent = $1::text`, [agent]);
    return rowCount > 0;
  }

  /**
   * Leases up to `limit` open deliveries of agents with an endpoint, exactly as a pull would
   * (same statuses, same `skip locked`, same attempt count), so a push and a pull of one inbox
   * never hand out one entry twice at once. The lease covers the HTTP request.
   */
  async leaseForPush(limit: number, leaseSeconds: number, maxAttempts: number, tx: Queryable = this.db): Promise<PushItem[]> {
    const { rows } = await tx.query<PushRow>(
      `with picked as (
         select d.id from message_deliveries d
          where d.status = any($4::text[])
            and (d.lease_expires_at is null or d.lease_expires_at <= now())
            and (d.expires_at is null or d.expires_at > now())
            and d.attempts < $3::integer
            and exists (select 1 from inbox_endpoints e where e.agent = d.recipient)
          order by d.position
          limit $1::integer
          for update of d skip locked
       ), leased as (
         update message_deliveries d
            set status = 'leased', attempts = d.attempts + 1,
                lease_expires_at = now() + make_interval(secs => $2::integer)
           from picked where d.id = picked.id
         returning d.id, d.message_id, d.recipient, d.attempts, d.lease_expires_at, d.position
       )
       select leased.id as delivery_id, leased.attempts, leased.lease_expires_at, leased.recipient, e.url, e.a2a_agent, e.secret,
              ${messageColumnsOf('m')}
         from leased join messages m on m.id = leased.message_id join inbox_endpoints e on e.agent = leased.recipient
        order by leased.position`,
      [limit, leaseSeconds, maxAttempts, MESSAGE_DELIVERY_MOVES.lease.from],
    );
    return rows.map((row) => ({
      deliveryId: row.delivery_id,
      attempts: row.attempts,
      leaseExpiresAt: row.lease_expires_at,
      recipient: row.recipient,
      url: row.url,
      a2aAgent: row.a2a_agent,
      secret: row.secret,
      message: toMessage(row),
    }));
  }

  /** A failed push: the entry stays leased until `retryAt` (its backoff), with why it failed. */
  async backOff(deliveryId: string, delayMs: number, error: string, tx: Queryable = this.db): Promise<Date | undefined> {
    const { rows } = await tx.query<{ lease_expires_at: Date }>(
      `update message_deliveries
          set lease_expires_at = now() + ($2::integer * interval '1 millisecond'), last_error = $3::text
        where id = $1::uuid and status = any($4::text[])
        returning lease_expires_at`,
      [deliveryId, delayMs, error.slice(0, 500), LEASED_DELIVERY_STATUSES],
    );
    return rows[0]?.lease_expires_at;
  }

  /** The soonest time a backed-off push is due again (for the worker's timer). */
  async nextDue(tx: Queryable = this.db): Promise<Date | null> {
    const { rows } = await tx.query<{ due: Date | null }>(
      `select min(d.lease_expires_at) as due from message_deliveries d
        where d.status = any($1::text[]) and exists (select 1 from inbox_endpoints e where e.agent = d.recipient)`,
      [LEASED_DELIVERY_STATUSES],
    );
    return rows[0]?.due ?? null;
  }
}
