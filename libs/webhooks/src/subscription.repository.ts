import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable, type Transaction } from '@baton/db';
import type { WebhookSubscription } from './webhook.types.js';

interface SubscriptionRow {
  id: string;
  url: string;
  event_types: string[];
  secret: string;
  description: string | null;
  active: boolean;
  builtin_key: string | null;
  run_id: string | null;
  owner: string | null;
  format: string;
  format_options: Record<string, unknown> | null;
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
    runId: row.run_id,
    owner: row.owner,
    format: row.format,
    formatOptions: row.format_options ?? {},
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const COLUMNS = 'id, url, event_types, secret, description, active, builtin_key, run_id, owner, format, format_options, created_at, updated_at';

export interface NewSubscription {
  /** Given by the caller (an A2A push config id), else generated. */
  id?: string;
  url: string;
  events: string[];
  secret: string;
  description: string | null;
  active: boolean;
  runId?: string | null;
  /** Tenancy: the owner whose runs' events it gets; null/absent: hub-wide. */
  owner?: string | null;
  format?: string;
  formatOptions?: Record<string, unknown>;
}

/** Webhook subscriptions. */
@Injectable()
export class SubscriptionRepository {
  private changes = 0;

  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Moves each time a write of this process becomes visible (after its commit, or after the
   * statement when there is no transaction). The dispatcher keeps the set it last read with
   * the generation it read it at, and trusts that set only while the generation has not moved.
   */
  get generation(): number {
    return this.changes;
  }

  private changed(tx: Queryable): void {
    const afterCommit = (tx as Partial<Transaction>).afterCommit;
    if (tx !== this.db && typeof afterCommit === 'function') afterCommit.call(tx, () => this.changes++);
    else this.changes++;
  }

  async insert(input: NewSubscription, tx: Queryable = this.db): Promise<WebhookSubscription> {
    const { rows } = await tx.query<SubscriptionRow>(
      `insert into webhook_subscriptions (id, url, event_types, secret, description, active, run_id, format, format_options, owner)
       values (coalesce($1::uuid, gen_random_uuid()), $2::text, $3::text[], $4::text, $5::text, $6::boolean,
               $7::uuid, $8::text, $9::jsonb, $10::text)
       returning ${COLUMNS}`,
      [
        input.id ?? null, input.url, input.events, input.secret, input.description, input.active,
        input.runId ?? null, input.format ?? 'baton', JSON.stringify(input.formatOptions ?? {}), input.owner ?? null,
      ],
    );
    this.changed(tx);
    return toSubscription(rows[0]!);
  }

  /**
   * Creates a run-scoped subscription with a given id, or replaces the URL, events, format and
   * options of the one with that id if it is scoped to the same run (an A2A config set again
   * keeps its secret, deliveries and creation time). Undefined when the id belongs to a
   * subscription of another run or to an unscoped one: the caller's id clashes.
   */
  async upsertScoped(input: NewSubscription & { id: string; runId: string }, tx: Queryable = this.db): Promise<WebhookSubscription | undefined> {
    const { rows } = await tx.query<SubscriptionRow>(
      `insert into webhook_subscriptions as s (id, url, event_types, secret, description, active, run_id, format, format_options)
       values ($1::uuid, $2::text, $3::text[], $4::text, $5::text, $6::boolean, $7::uuid, $8::text, $9::jsonb)
       on conflict (id) do update
         set url = excluded.url, event_types = excluded.event_types, format = excluded.format,
             format_options = excluded.format_options, description = excluded.description, updated_at = now()
         where s.run_id = excluded.run_id and s.builtin_key is null
       returning ${COLUMNS}`,
      [
        input.id, input.url, input.events, input.secret, input.description, input.active,
        input.runId, input.format ?? 'baton', JSON.stringify(input.formatOptions ?? {}),
      ],
    );
    this.changed(tx);
    return rows[0] ? toSubscription(rows[0]) : undefined;
  }

  /** The subscriptions scoped to one run, oldest first (optionally of some formats only). */
  async listForRun(runId: string, formats: string[] | null, tx: Queryable = this.db): Promise<WebhookSubscription[]> {
    const { rows } = await tx.query<SubscriptionRow>(
      `select ${COLUMNS} from webhook_subscriptions
        where run_id = $1::uuid and ($2::text[] is null or format = any($2::text[]))
        order by created_at, id`,
      [runId, formats],
    );
    return rows.map(toSubscription);
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
    this.changed(tx);
    return toSubscription(rows[0]!);
  }

  /** Stops a built-in subscription whose variable was unset; its deliveries are kept. */
  async deactivateBuiltin(key: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `update webhook_subscriptions set active = false, updated_at = now()
        where builtin_key = $1::text and active`,
      [key],
    );
    this.changed(tx);
  }

  async find(id: string, tx: Queryable = this.db): Promise<WebhookSubscription | undefined> {
    const { rows } = await tx.query<SubscriptionRow>(`select ${COLUMNS} from webhook_subscriptions where id = $1::uuid`, [id]);
    return rows[0] ? toSubscription(rows[0]) : undefined;
  }

  /** Every subscription, or (tenancy) those of one owner only. */
  async list(owner?: string, tx: Queryable = this.db): Promise<WebhookSubscription[]> {
    const { rows } = await tx.query<SubscriptionRow>(
      `select ${COLUMNS} from webhook_subscriptions where ($1::text is null or owner = $1::text) order by created_at, id`,
      [owner ?? null],
    );
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
    this.changed(tx);
    return rowCount > 0;
  }
}
