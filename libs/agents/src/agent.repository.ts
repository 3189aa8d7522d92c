import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
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

/** The `agents` table. Only the registry service uses it; it is not exported from the library. */
@Injectable()
export class AgentRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

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
        JSON.stringify(input.headers),
        input.trustedOrigins,
        input.breaker ? JSON.stringify(input.breaker) : null,
      ],
    );
    return { agent: toAgent(rows[0]), created: rows[0].created };
  }

  async findByName(name: string, tx: Queryable = this.db): Promise<Agent | undefined> {
    const { rows } = await tx.query<AgentRow>(`select ${COLUMNS} from agents where name = $1::text`, [name]);
    return rows[0] && toAgent(rows[0]);
  }

  async findByNames(names: string[], tx: Queryable = this.db): Promise<Agent[]> {
    const { rows } = await tx.query<AgentRow>(
      `select ${COLUMNS} from agents where name = any($1::text[]) order by name`,
      [names],
    );
    return rows.map(toAgent);
  }

  /** Ordered by name, like every list here, so pages and "first match" agree across instances. */
  async listAll(tx: Queryable = this.db): Promise<Agent[]> {
    const { rows } = await tx.query<AgentRow>(`select ${COLUMNS} from agents order by name`);
    return rows.map(toAgent);
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
    return rows.map(toAgent);
  }

  async delete(name: string, tx: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await tx.query(`delete from agents where name = $1::text`, [name]);
    return rowCount > 0;
  }
}

function toAgent(row: AgentRow): Agent {
  const agent: Agent = {
    id: row.id,
    name: row.name,
    kind: row.kind,
    capabilities: row.capabilities,
    // pg parses jsonb; keep a string fallback in case a driver hands back raw text.
    headers: typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers,
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
