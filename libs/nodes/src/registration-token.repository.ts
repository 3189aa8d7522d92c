import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';

/** A named node registration token (only its SHA-256 is stored). */
export interface RegistrationToken {
  name: string;
  labels: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

/** The `node_registration_tokens` table: one statement per method. */
@Injectable()
export class RegistrationTokenRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** The token with this hash, if any. */
  async findByHash(tokenHash: string): Promise<RegistrationToken | null> {
    const { rows } = await this.db.query(
      `select name, labels, created_at, updated_at from node_registration_tokens where token_hash = $1::text`,
      [tokenHash],
    );
    return rows[0] ? toToken(rows[0]) : null;
  }

  /**
   * Creates or replaces the token called `name`; 'unchanged' when it is already exactly so
   * (a second start with the same bootstrap file writes nothing).
   */
  async upsert(name: string, tokenHash: string, labels: Record<string, string>): Promise<'created' | 'updated' | 'unchanged'> {
    const { rows } = await this.db.query(
      `with previous as (select token_hash, labels from node_registration_tokens where name = $1::text),
       written as (
         insert into node_registration_tokens (name, token_hash, labels) values ($1::text, $2::text, $3::jsonb)
         on conflict on constraint node_registration_tokens_pkey do update
           set token_hash = excluded.token_hash, labels = excluded.labels, updated_at = now()
           where node_registration_tokens.token_hash is distinct from excluded.token_hash
              or node_registration_tokens.labels is distinct from excluded.labels
         returning name)
       select (select count(*) from previous)::int as existed, (select count(*) from written)::int as written`,
      [name, tokenHash, JSON.stringify(labels)],
    );
    const { existed, written } = rows[0] as { existed: number; written: number };
    return written === 0 ? 'unchanged' : existed > 0 ? 'updated' : 'created';
  }

  async list(): Promise<RegistrationToken[]> {
    const { rows } = await this.db.query(`select name, labels, created_at, updated_at from node_registration_tokens order by name`);
    return rows.map(toToken);
  }
}

function toToken(row: Record<string, any>): RegistrationToken {
  return { name: row.name, labels: row.labels, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) };
}
