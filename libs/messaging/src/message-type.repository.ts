import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { MessageType } from './message.types.js';

interface MessageTypeRow {
  name: string;
  version: number;
  schema: Record<string, unknown>;
  description: string | null;
  created_by: string;
  created_at: Date;
}

const COLUMNS = 'name, version, schema, description, created_by, created_at';

function toMessageType(row: MessageTypeRow): MessageType {
  return {
    name: row.name,
    version: row.version,
    schema: row.schema,
    description: row.description,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/** Message types and their schema versions (rows are never updated). */
@Injectable()
export class MessageTypeRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Stores the next version of `name`. Two registrations racing for one version collide on
   * the primary key; the service retries with the next number.
   */
  async insertNextVersion(
    input: { name: string; schema: Record<string, unknown>; description: string | null; createdBy: string },
    tx: Queryable = this.db,
  ): Promise<MessageType> {
    const { rows } = await tx.query<MessageTypeRow>(
      `insert into message_types (name, version, schema, description, created_by)
       select $1::text, coalesce(max(version), 0) + 1, $2::jsonb, $3::text, $4::text
         from message_types where name = $1::text
       returning ${COLUMNS}`,
      [input.name, JSON.stringify(input.schema), input.description, input.createdBy],
    );
    return toMessageType(rows[0]!);
  }

  /** One version, or the latest when `version` is undefined. */
  async find(name: string, version?: number, tx: Queryable = this.db): Promise<MessageType | undefined> {
    const { rows } = await tx.query<MessageTypeRow>(
      `select ${COLUMNS} from message_types
        where name = $1::text and ($2::integer is null or version = $2::integer)
        order by version desc limit 1`,
      [name, version ?? null],
    );
    return rows[0] ? toMessageType(rows[0]) : undefined;
  }

  /** The latest version of each type, by name. */
  async listLatest(tx: Queryable = this.db): Promise<MessageType[]> {
    const { rows } = await tx.query<MessageTypeRow>(
      `select distinct on (name) ${COLUMNS} from message_types order by name, version desc`,
    );
    return rows.map(toMessageType);
  }
}
