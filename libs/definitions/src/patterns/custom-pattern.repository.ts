import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';

/** A registered custom pattern (one version). */
export interface CustomPattern {
  name: string;
  version: string;
  description: string | null;
  /** JSON Schema a using step's `settings` must satisfy. */
  settingsSchema: Record<string, unknown>;
  definitionId: string;
  createdAt: Date;
}

interface Row {
  name: string;
  version: string;
  description: string | null;
  settings_schema: Record<string, unknown>;
  definition_id: string;
  created_at: Date;
}

const COLUMNS = 'name, version, description, settings_schema, definition_id, created_at';

/** orchestration_custom_patterns: rows are never updated; "latest" is the highest revision. */
@Injectable()
export class CustomPatternRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Inserts a version; false when (name, version) was already stored. */
  async insert(pattern: Omit<CustomPattern, 'createdAt'>): Promise<boolean> {
    const { rows } = await this.db.query<{ name: string }>(
      `insert into orchestration_custom_patterns (name, version, description, settings_schema, definition_id)
       values ($1::text, $2::text, $3::text, $4::jsonb, $5::uuid)
       on conflict (name, version) do nothing returning name`,
      [pattern.name, pattern.version, pattern.description, JSON.stringify(pattern.settingsSchema), pattern.definitionId],
    );
    return rows.length > 0;
  }

  async find(name: string, version: string): Promise<CustomPattern | null> {
    const { rows } = await this.db.query<Row>(`select ${COLUMNS} from orchestration_custom_patterns where name = $1::text and version = $2::text`, [name, version]);
    return rows[0] ? toPattern(rows[0]) : null;
  }

  /** The latest version of each of `names` that is registered. */
  async latest(names: string[]): Promise<Map<string, CustomPattern>> {
    if (names.length === 0) return new Map();
    const { rows } = await this.db.query<Row>(
      `select distinct on (name) ${COLUMNS} from orchestration_custom_patterns
        where name = any($1::text[]) order by name, revision desc`,
      [names],
    );
    return new Map(rows.map((row) => [row.name, toPattern(row)]));
  }

  /** The latest version of every custom pattern, by name (at most `limit`). */
  async listLatest(limit: number): Promise<CustomPattern[]> {
    const { rows } = await this.db.query<Row>(
      `select distinct on (name) ${COLUMNS} from orchestration_custom_patterns order by name, revision desc limit $1::int`,
      [limit],
    );
    return rows.map(toPattern);
  }
}

function toPattern(row: Row): CustomPattern {
  return {
    name: row.name,
    version: row.version,
    description: row.description,
    settingsSchema: row.settings_schema,
    definitionId: row.definition_id,
    createdAt: row.created_at,
  };
}
