import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { WebhookSubscription } from './webhook.types.js';

interface SubscriptionRow {
  id: string;
  url: string;
  event_types: string[];
  secret: string;
  description: string | null;
  active: boolean;
  builtin_key: string | null;
  created_at: Date;
  updated_at: Date;
}

function toSubscription(row: SubscriptionRow): WebhookSubscription {
  return {
    id: row.id,
    url: row.url,
    events: row.event_types,
    secret: row.secret,
    description: row.description,
    active: row.active,
    builtinKey: row.builtin_key,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const COLUMNS = 'id, url, event_types, secret, description, active, builtin_key, created_at, updated_at';

export interface NewSubscription {
  url: string;
  events: string[];
  secret: string;
  description: string | null;
  active: boolean;
}

/** Webhook subscriptions. */
@Injectable()
export class SubscriptionRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(input: NewSubscription, tx: Queryable = this.db): Promise<WebhookSubscription> {
    const { rows } = await tx.query<SubscriptionRow>(
      `insert into webhook_subscriptions (url, event_types, secret, description, active)
       values ($1::text, $2::text[], $3::text, $4::text, $5::boolean)
       returning ${COLUMNS}`,
      [input.url, input.events, input.secret, input.description, input.active],
    );
    return toSubscription(rows[0]!);
  }

  /**
   * Creates or re-points a built-in subscription (all events). The secret is replaced only
   * when `secret` is given; otherwise the first one generated is kept across restarts.
   * `created_at` is kept too: it decides which events the subscription receives.
   */
  async upsertBuiltin(key: string, url: string, secret: string | null, generated: string, tx: Queryable = this.db): Promise<WebhookSubscription> {
    const { rows } = await tx.query<SubscriptionRow>(
      `insert into webhook_subscriptions as s (url, event_types, secret, description, active, builtin_key)
       values ($2::text, '{*}', coalesce($3::text, $4::text), 'ORCHESTRATION_PROGRESS_WEBHOOK_URL', true, $1::text)
       on conflict (builtin_key) do update
         set url = excluded.url, secret = coalesce($3::text, s.secret), event_types = '{*}', active = true,
             updated_at = now()
       returning ${COLUMNS}`,
      [key, url, secret, generated],
    );
    return toSubscription(rows[0]!);
  }

  /** Stops a built-in subscription whose variable was unset; its deliveries are kept. */
  async deactivateBuiltin(key: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `update webhook_subscriptions set active = false, updated_at = now()
        where builtin_key = $1::text and active`,
      [key],
    );
  }

  async find(id: string, tx: Queryable = this.db): Promise<WebhookSubscription | undefined> {
    const { rows } = await tx.query<SubscriptionRow>(`select ${COLUMNS} from webhook_subscriptions where id = $1::uuid`, [id]);
    return rows[0] ? toSubscription(rows[0]) : undefined;
  }

  async list(tx: Queryable = this.db): Promise<WebhookSubscription[]> {
    const { rows } = await tx.query<SubscriptionRow>(`select ${COLUMNS} from webhook_subscriptions order by created_at, id`);
    return rows.map(toSubscription);
  }

  async listActive(tx: Queryable = this.db): Promise<WebhookSubscription[]> {
    const { rows } = await tx.query<SubscriptionRow>(
      `select ${COLUMNS} from webhook_subscriptions where active order by created_at, id`,
    );
    return rows.map(toSubscription);
  }

  /** Deletes the subscription and (by cascade) its deliveries; false when there was none. */
  async delete(id: string, tx: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await tx.query(`delete from webhook_subscriptions where id = $1::uuid`, [id]);
    return rowCount > 0;
  }
}
