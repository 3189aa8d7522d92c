import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { Session } from './session.types.js';

interface SessionRow {
  id: string;
  owner: string;
  run_id: string | null;
  metadata: Record<string, unknown>;
  request_hash: string;
  submitted_by: string | null;
  created_at: Date;
}

const COLUMNS = 'id, owner, run_id, metadata, request_hash, submitted_by, created_at';

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    owner: row.owner,
    runId: row.run_id,
    metadata: row.metadata,
    requestHash: row.request_hash,
    submittedBy: row.submitted_by,
    createdAt: row.created_at,
  };
}

/** `orchestration_sessions`: one row per session, keyed by (owner, id): ids are unique per owner. */
@Injectable()
export class SessionRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Claims the id in its owner. One statement, so of two requests with one owner and id
   * exactly one inserts; the other gets undefined and reads the winner's row.
   */
  async claim(session: Omit<Session, 'runId' | 'createdAt'>, tx: Queryable = this.db): Promise<Session | undefined> {
    const { rows } = await tx.query<SessionRow>(
      `insert into orchestration_sessions (id, owner, metadata, request_hash, submitted_by)
       values ($1::text, $2::text, $3::jsonb, $4::text, $5::uuid)
       on conflict (owner, id) do nothing
       returning ${COLUMNS}`,
      [session.id, session.owner, JSON.stringify(session.metadata), session.requestHash, session.submittedBy],
    );
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  async find(owner: string, id: string, tx: Queryable = this.db): Promise<Session | undefined> {
    const { rows } = await tx.query<SessionRow>(
      `select ${COLUMNS} from orchestration_sessions where owner = $1::text and id = $2::text`,
      [owner, id],
    );
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  /** Every owner's session with this id (for all-owner callers, who name a session by id alone). */
  async findInEveryOwner(id: string, tx: Queryable = this.db): Promise<Session[]> {
    const { rows } = await tx.query<SessionRow>(`select ${COLUMNS} from orchestration_sessions where id = $1::text order by owner`, [id]);
    return rows.map(toSession);
  }

  /** Links the run; a session already linked keeps its run (the same one: the run's idempotency key is the session's). */
  async attachRun(owner: string, id: string, runId: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      'update orchestration_sessions set run_id = $3::uuid where owner = $1::text and id = $2::text and run_id is null',
      [owner, id, runId],
    );
  }

  /** Gives the id back when its run could not be created (bad definition): the caller may fix the request. */
  async release(owner: string, id: string, requestHash: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      'delete from orchestration_sessions where owner = $1::text and id = $2::text and request_hash = $3::text and run_id is null',
      [owner, id, requestHash],
    );
  }
}
