import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { RUN_MOVES } from '../domain/run-status.js';

/** Run deadlines and the admission queue (issue 12). */
@Injectable()
export class RunLimitsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Open runs whose deadline passed, locked for the caller's transaction; `skip locked` so
   * instances sweeping at once take different runs.
   */
  async lockOverdue(limit: number, tx: Queryable): Promise<Array<{ id: string; deadlineAt: Date }>> {
    const { rows } = await tx.query<{ id: string; deadline_at: Date }>(
      `select id, deadline_at from orchestration_runs
        where deadline_at is not null and deadline_at <= now() and status = any($2::text[])
        order by deadline_at limit $1::int
        for update skip locked`,
      [limit, RUN_MOVES.cancel.from],
    );
    return rows.map((row) => ({ id: row.id, deadlineAt: new Date(row.deadline_at) }));
  }

  /** 1 for the next run to be admitted; null when the run is not waiting for admission. */
  async queuePosition(runId: string): Promise<number | null> {
    const { rows } = await this.db.query<{ position: number | null }>(
      `select case when r.admitted_at is null and r.parent_run_id is null and r.status = 'pending' then
                (select count(*)::int from orchestration_runs q
                  where q.admitted_at is null and q.parent_run_id is null and q.status = 'pending'
                    and (q.created_at, q.id) < (r.created_at, r.id)) + 1
              end as position
         from orchestration_runs r where r.id = $1::uuid`,
      [runId],
    );
    return rows[0]?.position ?? null;
  }

  /** Runs waiting for admission now. */
  async queueDepth(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `select count(*)::int as n from orchestration_runs where admitted_at is null and parent_run_id is null and status = 'pending'`,
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Admission's two numbers in one statement: open admitted top-level runs (the slots in use,
   * counted as `admit` counts them) and top-level runs waiting for a slot.
   */
  async admissionCounts(): Promise<{ active: number; queued: number }> {
    const { rows } = await this.db.query<{ active: number; queued: number }>(
      `select (select count(*) from orchestration_runs
                where parent_run_id is null and admitted_at is not null and status = any($1::text[]))::int as active,
              (select count(*) from orchestration_runs
                where admitted_at is null and parent_run_id is null and status = 'pending')::int as queued`,
      [RUN_MOVES.cancel.from],
    );
    return rows[0] ?? { active: 0, queued: 0 };
  }
}
