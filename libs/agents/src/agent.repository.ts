import { Inject, Injectable, Optional } from '@nestjs/common';
import { SecretBox, SecretUnavailableError, isSealed } from '@baton/common';
import { Database, type Queryable } from '@baton/db';
import { AgentHeaderBox } from './agent-header-box.js';
import type { Agent, AgentKind, BreakerSettings } from './agent.types.js';

/** What a caller supplies to register an agent; the row's id and timestamps come from the table. */
export interface AgentRegistration {
  name: string;
  kind: AgentKind;
  url?: string;
  capabilities: string[];
  maxConcurrency?: number;
  timeoutSeconds?: number;
  headers: Record<string, string>;
  /** Origins besides `url`'s that may receive the headers (see the migration's comment). */
  trustedOrigins: string[];
  breaker?: BreakerSettings;
}

interface AgentRow {
  id: string;
  name: string;
  kind: AgentKind;
  url: string | null;
  capabilities: string[];
  max_concurrency: number | null;
  timeout_seconds: number | null;
  headers: Record<string, string> | string;
  trusted_origins: string[];
  breaker: BreakerSettings | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = `id::text as id, name, kind, url, capabilities, max_concurrency, timeout_seconds, headers,
  trusted_origins, breaker, created_at, updated_at`;

/** Rows holding a header value not in the `enc:v1:` form. */
const HAS_PLAINTEXT_HEADER = `exists (select 1 from jsonb_each_text(headers) h where h.value not like 'enc:v1:%')`;

/**
 * The `agents` table. Only the registry service uses it; it is not exported from the library.
 * Header values are sealed by `box` on the way in and opened on the way out, so the rest of
 * Baton sees plaintext and the table holds `enc:v1:` values (when BATON_SECRET_KEY is set).
 */
@Injectable()
export class AgentRepository {
  private readonly box: SecretBox;

  constructor(@Inject(Database) private readonly db: Database, @Optional() @Inject(AgentHeaderBox) box?: SecretBox) {
    // Without a box (tests building a bare repository) values are stored as given.
    this.box = box ?? new SecretBox(undefined, 'none');
  }

  /**
   * Insert or replace by name in one statement, so two registrations of the same name race
   * safely. `xmax = 0` holds only for a freshly inserted row version, which tells "created"
   * from "updated" without a second query.
   */
  async upsert(input: AgentRegistration, tx: Queryable = this.db): Promise<{ agent: Agent; created: boolean }> {
    const { rows } = await tx.query<AgentRow & { created: boolean }>(
      `insert into agents (name, kind, url, capabilities, max_concurrency, timeout_seconds, headers, trusted_origins, breaker)
       values ($1::text, $2::text, $3::text, $4::text[], $5::integer, $6::integer, $7::jsonb, $8::text[], $9::jsonb)
       on conflict (name) do update set
         kind = excluded.kind, url = excluded.url, capabilities = excluded.capabilities,
         max_concurrency = excluded.max_concurrency, timeout_seconds = excluded.timeout_seconds,
         headers = excluded.headers, trusted_origins = excluded.trusted_origins,
         breaker = excluded.breaker, updated_at = now()
       returning ${COLUMNS}, (xmax = 0) as created`,
      [
        input.name,
        input.kind,
        input.url ?? null,
        input.capabilities,
        input.maxConcurrency ?? null,
        input.timeoutSeconds ?? null,
        JSON.stringify(this.sealHeaders(input.headers)),
        input.trustedOrigins,
        input.breaker ? JSON.stringify(input.breaker) : null,
      ],
    );
    return { agent: this.toAgent(rows[0]), created: rows[0].created };
  }

  async findByName(name: string, tx: Queryable = this.db): Promise<Agent | undefined> {
    const { rows } = await tx.query<AgentRow>(`select ${COLUMNS} from agents where name = $1::text`, [name]);
    return rows[0] && this.toAgent(rows[0]);
  }

  async findByNames(names: string[], tx: Queryable = this.db): Promise<Agent[]> {
    const { rows } = await tx.query<AgentRow>(
      `select ${COLUMNS} from agents where name = any($1::text[]) order by name`,
      [names],
    );
    return rows.map((row) => this.toAgent(row));
  }

  /** Ordered by name, like every list here, so pages and "first match" agree across instances. */
  async listAll(tx: Queryable = this.db): Promise<Agent[]> {
    const { rows } = await tx.query<AgentRow>(`select ${COLUMNS} from agents order by name`);
    return rows.map((row) => this.toAgent(row));
  }

  /**
   * Agents having `capability`, ordered by name so that "the first agent with this
   * capability" is the same on every instance. `@>` (not `= any`) lets the GIN index serve it.
   */
  async listByCapability(capability: string, tx: Queryable = this.db): Promise<Agent[]> {
    const { rows } = await tx.query<AgentRow>(
      `select ${COLUMNS} from agents where capabilities @> array[$1::text] order by name`,
      [capability],
    );
    return rows.map((row) => this.toAgent(row));
  }

  /** Agents with a header value stored in plaintext. */
  async countWithPlaintextHeaders(tx: Queryable = this.db): Promise<number> {
    const { rows } = await tx.query<{ count: number }>(`select count(*)::int as count from agents where ${HAS_PLAINTEXT_HEADER}`);
    return rows[0]?.count ?? 0;
  }

  /**
   * Encrypts every plaintext header value. Each row is rewritten only if its headers are still
   * what was read (`headers = $2`), so a registration racing this keeps its own values.
   */
  async sealPlaintextHeaders(tx: Queryable = this.db): Promise<number> {
    const { rows } = await tx.query<{ id: string; headers: Record<string, string> | string }>(
      `select id::text as id, headers from agents where ${HAS_PLAINTEXT_HEADER}`,
    );
    let sealed = 0;
    for (const row of rows) {
      const headers = typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers;
      const { rowCount } = await tx.query(
        `update agents set headers = $3::jsonb where id = $1::uuid and headers = $2::jsonb`,
        [row.id, JSON.stringify(headers), JSON.stringify(this.sealHeaders(headers))],
      );
      sealed += rowCount;
    }
    return sealed;
  }

  async delete(name: string, tx: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await tx.query(`delete from agents where name = $1::text`, [name]);
    return rowCount > 0;
  }

  private sealHeaders(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, this.box.seal(value)]));
  }

  /** The row as an agent, header values decrypted; one that cannot be is listed in `unreadableHeaders`. */
  private toAgent(row: AgentRow): Agent {
    const stored: Record<string, string> = typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers;
    const headers: Record<string, string> = {};
    const unreadable: string[] = [];
    for (const [name, value] of Object.entries(stored)) {
      try {
        headers[name] = this.box.open(value);
      } catch (error) {
        if (!(error instanceof SecretUnavailableError) || !isSealed(value)) throw error;
        unreadable.push(name);
      }
    }
    const agent = toAgent(row, headers);
    if (unreadable.length > 0) agent.unreadableHeaders = unreadable;
    return agent;
  }
}

function toAgent(row: AgentRow, headers: Record<string, string>): Agent {
  const agent: Agent = {
    id: row.id,
    name: row.name,
    kind: row.kind,
    capabilities: row.capabilities,
    headers,
    trustedOrigins: row.trusted_origins ?? [],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
  if (row.url !== null) agent.url = row.url;
  if (row.max_concurrency !== null) agent.maxConcurrency = row.max_concurrency;
  if (row.timeout_seconds !== null) agent.timeoutSeconds = row.timeout_seconds;
  if (row.breaker) agent.breaker = typeof row.breaker === 'string' ? JSON.parse(row.breaker) : row.breaker;
  return agent;
}
