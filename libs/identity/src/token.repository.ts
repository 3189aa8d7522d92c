import { Inject, Injectable } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { Database, type Queryable } from '@baton/db';
import type { Role } from './roles.js';
import type { ApiToken } from './token.types.js';

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  owner: string | null;
  agent: string | null;
}

const COLUMNS = 'id, name, role, owner, agent, created_at, last_used_at, revoked_at';

function toApiToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    owner: row.owner,
    agent: row.agent,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
  };
}

/** The `api_tokens` table. Tokens are looked up by the SHA-256 of the presented secret. */
@Injectable()
export class TokenRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Inserts a token; a live token with the same name is a conflict. */
  async insert(
    name: string,
    role: Role,
    tokenHash: string,
    owner: string | null = null,
    agent: string | null = null,
    tx: Queryable = this.db,
  ): Promise<ApiToken> {
    try {
      const { rows } = await tx.query<TokenRow>(
        `insert into api_tokens (name, role, token_hash, owner, agent)
         values ($1::text, $2::text, $3::text, $4::text, $5::text) returning ${COLUMNS}`,
        [name, role, tokenHash, owner, agent],
      );
      return toApiToken(rows[0]!);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new BatonError('conflict', `a live token named ${name} already exists; revoke it first`);
      }
      throw error;
    }
  }

  /** Inserts unless the hash or the live name is taken (a second instance starting at once). */
  async insertIfAbsent(name: string, role: Role, tokenHash: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `insert into api_tokens (name, role, token_hash) values ($1::text, $2::text, $3::text) on conflict do nothing`,
      [name, role, tokenHash],
    );
  }

  async findByHash(tokenHash: string, tx: Queryable = this.db): Promise<ApiToken | undefined> {
    const { rows } = await tx.query<TokenRow>(`select ${COLUMNS} from api_tokens where token_hash = $1::text`, [tokenHash]);
    return rows[0] && toApiToken(rows[0]);
  }

  /** Every token, live ones first, newest first. */
  async list(): Promise<ApiToken[]> {
    const { rows } = await this.db.query<TokenRow>(
      `select ${COLUMNS} from api_tokens order by (revoked_at is null) desc, created_at desc, id`,
    );
    return rows.map(toApiToken);
  }

  /** The credentials bound to `agent`, live ones first, newest first. */
  async listForAgent(agent: string): Promise<ApiToken[]> {
    const { rows } = await this.db.query<TokenRow>(
      `select ${COLUMNS} from api_tokens where agent = $1::text order by (revoked_at is null) desc, created_at desc, id`,
      [agent],
    );
    return rows.map(toApiToken);
  }

  /** Revokes the live credential `idOrName` of `agent`; undefined when it has none such. */
  async revokeForAgent(agent: string, idOrName: string): Promise<ApiToken | undefined> {
    const { rows } = await this.db.query<TokenRow>(
      `update api_tokens set revoked_at = now()
        where revoked_at is null and agent = $1::text and (name = $2::text or id::text = $2::text)
        returning ${COLUMNS}`,
      [agent, idOrName],
    );
    return rows[0] && toApiToken(rows[0]);
  }

  /** Revokes the live token with this id or name; undefined when there is none. */
  async revoke(idOrName: string, tx: Queryable = this.db): Promise<ApiToken | undefined> {
    const { rows } = await tx.query<TokenRow>(
      `update api_tokens set revoked_at = now()
        where revoked_at is null and (name = $1::text or id::text = $1::text)
        returning ${COLUMNS}`,
      [idOrName],
    );
    return rows[0] && toApiToken(rows[0]);
  }

  /** Revokes live tokens named `name` except the one with `keepHash` (bootstrap rotation). */
  async revokeNamedExcept(name: string, keepHash: string, tx: Queryable = this.db): Promise<number> {
    const { rowCount } = await tx.query(
      `update api_tokens set revoked_at = now()
        where name = $1::text and revoked_at is null and token_hash <> $2::text`,
      [name, keepHash],
    );
    return rowCount;
  }

  /**
   * Records a use, at most once a minute per token: the guard in the WHERE clause makes a
   * burst of requests cost one write, even across instances.
   */
  async touch(id: string): Promise<void> {
    await this.db.query(
      `update api_tokens set last_used_at = now()
        where id = $1::uuid and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }

  /** Whether any token was ever created (revoked ones count: see the migration). */
  async anyExists(): Promise<boolean> {
    const { rows } = await this.db.query<{ any: boolean }>(`select exists (select 1 from api_tokens) as any`);
    return rows[0]?.any === true;
  }
}
