import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { PolicySource, PolicyVersion } from './policy-version.types.js';

interface VersionRow {
  id: string;
  version: string;
  hash: string;
  body: string;
  source: PolicySource;
  description: string | null;
  created_by: string | null;
  created_at: Date;
}

interface ActivationRow extends Partial<VersionRow> {
  activation_id: string;
  version_id: string | null;
  activated_by: string | null;
  activated_at: Date;
}

export interface Activation {
  activationId: number;
  /** null: the shipped default. */
  version: PolicyVersion | null;
  activatedBy: string | null;
  activatedAt: Date;
}

const COLUMNS = 'v.id, v.version, v.hash, v.body, v.source, v.description, v.created_by, v.created_at';

function toVersion(row: VersionRow): PolicyVersion {
  return {
    id: row.id,
    version: Number(row.version),
    hash: row.hash,
    body: row.body,
    source: row.source,
    description: row.description,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
  };
}

function toActivation(row: ActivationRow): Activation {
  return {
    activationId: Number(row.activation_id),
    version: row.version_id ? toVersion(row as VersionRow) : null,
    activatedBy: row.activated_by,
    activatedAt: new Date(row.activated_at),
  };
}

/** The `policy_versions` and `policy_activations` tables. */
@Injectable()
export class PolicyRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Stores a text once: a text already stored (same hash) returns its version, `created: false`. */
  async insert(
    input: { hash: string; body: string; source: PolicySource; description?: string; createdBy?: string },
    tx: Queryable = this.db,
  ): Promise<{ version: PolicyVersion; created: boolean }> {
    const { rows } = await tx.query<VersionRow & { created: boolean }>(
      `with inserted as (
         insert into policy_versions (hash, body, source, description, created_by)
         values ($1::text, $2::text, $3::text, $4::text, $5::text)
         on conflict on constraint policy_versions_hash_key do nothing
         returning id, version, hash, body, source, description, created_by, created_at
       )
       select ${COLUMNS}, true as created from inserted v
       union all
       select ${COLUMNS}, false as created from policy_versions v where v.hash = $1::text
       limit 1`,
      [input.hash, input.body, input.source, input.description ?? null, input.createdBy ?? null],
    );
    const row = rows[0]!;
    return { version: toVersion(row), created: row.created };
  }

  async findByNumber(version: number, tx: Queryable = this.db): Promise<PolicyVersion | undefined> {
    const { rows } = await tx.query<VersionRow>(`select ${COLUMNS} from policy_versions v where v.version = $1::bigint`, [version]);
    return rows[0] && toVersion(rows[0]);
  }

  /** Newest first, without bodies' text being needed by callers that only list (they get it anyway: sets are small). */
  async list(limit: number, tx: Queryable = this.db): Promise<PolicyVersion[]> {
    const { rows } = await tx.query<VersionRow>(`select ${COLUMNS} from policy_versions v order by v.version desc limit $1::int`, [limit]);
    return rows.map(toVersion);
  }

  /** The newest version loaded from BATON_POLICY_FILE. */
  async latestFromFile(tx: Queryable = this.db): Promise<PolicyVersion | undefined> {
    const { rows } = await tx.query<VersionRow>(
      `select ${COLUMNS} from policy_versions v where v.source = 'file' order by v.version desc limit 1`,
    );
    return rows[0] && toVersion(rows[0]);
  }

  async activate(versionId: string | null, activatedBy: string | null, tx: Queryable = this.db): Promise<number> {
    const { rows } = await tx.query<{ id: string }>(
      `insert into policy_activations (version_id, activated_by) values ($1::uuid, $2::text) returning id`,
      [versionId, activatedBy],
    );
    return Number(rows[0]!.id);
  }

  /** The newest `limit` activations, newest first, with their versions. */
  async activations(limit: number, tx: Queryable = this.db): Promise<Activation[]> {
    const { rows } = await tx.query<ActivationRow>(
      `select a.id as activation_id, a.version_id, a.activated_by, a.activated_at, ${COLUMNS}
         from policy_activations a left join policy_versions v on v.id = a.version_id
        order by a.id desc limit $1::int`,
      [limit],
    );
    return rows.map(toActivation);
  }
}
