import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { DefinitionSource } from './definition.types.js';

/** A stored row in domain terms; the service turns it into a planned `Definition`. */
export interface StoredDefinition {
  id: string;
  owner: string;
  name: string;
  version: string;
  revision: number;
  description?: string;
  source: DefinitionSource;
  body: Record<string, unknown>;
  contentHash: string;
  stepCount: number;
  createdAt: Date;
}

export type NewDefinition = Omit<StoredDefinition, 'id' | 'revision' | 'createdAt'>;

interface DefinitionRow {
  id: string;
  owner: string;
  name: string;
  version: string;
  revision: string | number;
  description: string | null;
  source: DefinitionSource;
  body: Record<string, unknown> | string;
  content_hash: string;
  step_count: number;
  created_at: Date | string;
}

const COLUMNS = 'id, owner, name, version, revision, description, source, body, content_hash, step_count, created_at';

function toStored(row: DefinitionRow): StoredDefinition {
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    version: row.version,
    // bigint comes back as text from pg; revisions stay far below 2^53.
    revision: Number(row.revision),
    ...(row.description !== null && { description: row.description }),
    source: row.source,
    body: typeof row.body === 'string' ? JSON.parse(row.body) : row.body,
    contentHash: row.content_hash,
    stepCount: row.step_count,
    createdAt: new Date(row.created_at),
  };
}

/** One statement per method over `orchestration_definitions`; rows never leave this file. */
@Injectable()
export class DefinitionRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Inserts unless (owner, name, version) exists. `on conflict do nothing` makes two
   * concurrent inserts of one version safe: the loser gets no row back (it waited for the
   * winner's commit) and reads the winner's row with `findByKey`. `bodyJson` is the body
   * already serialized (the service has it from hashing); only what the database made up
   * (id, revision, created_at) comes back, not the body it was just sent. The body is stored
   * as `json` (that text, checked but not converted: issue 17) and its `triggers` member as
   * `jsonb` for `latestTriggeredBy`.
   */
  async insertIfAbsent(definition: NewDefinition, bodyJson: string, tx: Queryable = this.db): Promise<StoredDefinition | undefined> {
    const { rows } = await tx.query<Pick<DefinitionRow, 'id' | 'revision' | 'created_at'>>(
      `insert into orchestration_definitions (owner, name, version, description, source, body, content_hash, step_count, triggers)
       values ($1::text, $2::text, $3::text, $4::text, $5::text, $6::json, $7::text, $8::integer, $9::jsonb)
       on conflict (owner, name, version) do nothing
       returning id, revision, created_at`,
      [
        definition.owner,
        definition.name,
        definition.version,
        definition.description ?? null,
        definition.source,
        bodyJson,
        definition.contentHash,
        definition.stepCount,
        definition.body.triggers === undefined ? null : JSON.stringify(definition.body.triggers),
      ],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { ...definition, id: row.id, revision: Number(row.revision), createdAt: new Date(row.created_at) };
  }

  async findByKey(owner: string, name: string, version: string, tx: Queryable = this.db): Promise<StoredDefinition | undefined> {
    const { rows } = await tx.query<DefinitionRow>(
      `select ${COLUMNS} from orchestration_definitions
       where owner = $1::text and name = $2::text and version = $3::text`,
      [owner, name, version],
    );
    return rows[0] && toStored(rows[0]);
  }

  async findById(id: string, tx: Queryable = this.db): Promise<StoredDefinition | undefined> {
    const { rows } = await tx.query<DefinitionRow>(
      `select ${COLUMNS} from orchestration_definitions where id = $1::uuid`,
      [id],
    );
    return rows[0] && toStored(rows[0]);
  }

  /** The id of the most recently stored saved version (by revision, not by version string). */
  async findLatestId(owner: string, name: string, tx: Queryable = this.db): Promise<string | undefined> {
    const { rows } = await tx.query<{ id: string }>(
      `select id from orchestration_definitions
       where owner = $1::text and name = $2::text and source = 'saved'
       order by revision desc
       limit 1`,
      [owner, name],
    );
    return rows[0]?.id;
  }

  /**
   * Ids of the latest saved versions that declare a trigger on `event` (issue 14). Only the
   * latest version of a name counts: saving a version without the trigger turns it off.
   */
  async latestTriggeredBy(event: string, tx: Queryable = this.db): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(
      `select id from (
         select distinct on (owner, name) id, triggers from orchestration_definitions
          where source = 'saved' order by owner, name, revision desc
       ) latest
       where latest.triggers @> jsonb_build_array(jsonb_build_object('event', $1::text))`,
      [event],
    );
    return rows.map((row) => row.id);
  }

  /**
   * The latest saved version of each (owner, name), ordered by (owner, name), keyset-paged
   * after `after`. Served by the (owner, name, revision desc) index.
   */
  async listLatest(
    options: { owner?: string; owners?: string[]; after?: { owner: string; name: string }; limit: number },
    tx: Queryable = this.db,
  ): Promise<StoredDefinition[]> {
    const { rows } = await tx.query<DefinitionRow>(
      `select distinct on (owner, name) ${COLUMNS} from orchestration_definitions
       where source = 'saved'
         and ($1::text is null or owner = $1::text)
         and ($5::text[] is null or owner = any($5::text[]))
         and ($2::text is null or (owner, name) > ($2::text, $3::text))
       order by owner, name, revision desc
       limit $4::integer`,
      [options.owner ?? null, options.after?.owner ?? null, options.after?.name ?? null, options.limit, options.owners ?? null],
    );
    return rows.map(toStored);
  }

  /** Every saved version of one (owner, name), newest revision first, without bodies. */
  async listVersions(owner: string, name: string, limit: number, tx: Queryable = this.db): Promise<DefinitionVersionSummary[]> {
    const { rows } = await tx.query<Omit<DefinitionRow, 'body' | 'source'>>(
      `select id, owner, name, version, revision, description, content_hash, step_count, created_at
         from orchestration_definitions
        where owner = $1::text and name = $2::text and source = 'saved'
        order by revision desc
        limit $3::integer`,
      [owner, name, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      version: row.version,
      revision: Number(row.revision),
      description: row.description,
      contentHash: row.content_hash,
      stepCount: row.step_count,
      createdAt: new Date(row.created_at).toISOString(),
    }));
  }
}

/** A version in a definition's version list (`GET /api/v1/definitions/:name/versions`). */
export interface DefinitionVersionSummary {
  id: string;
  version: string;
  revision: number;
  description: string | null;
  contentHash: string;
  stepCount: number;
  createdAt: string;
}
