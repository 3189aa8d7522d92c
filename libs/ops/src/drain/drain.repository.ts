import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { ACTIVE_STEP_STATUSES, OPEN_RUN_STATUSES } from '@baton/runs';

/**
 * What a drain needs to know about the engine's tables. Read-only: ops never changes a step
 * behind the engine's back here (the execution loop hands back its own leases at shutdown).
 */
@Injectable()
export class DrainRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Steps this instance holds the lease of. */
  async runningStepsOf(instanceId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `select count(*)::int as n from orchestration_steps where status = 'running' and lease_owner = $1::text`,
      [instanceId],
    );
    return rows[0]?.n ?? 0;
  }

  /** Where each unfinished run stopped (a rolling-back one too): its status and its steps in flight. */
  async openRuns(limit = 500): Promise<Array<{ runId: string; status: string; openSteps: string[] }>> {
    const { rows } = await this.db.query<{ id: string; status: string; open_steps: string[] | null }>(
      `select r.id, r.status,
              array(select s.step_key || ':' || s.status from orchestration_steps s
                     where s.run_id = r.id and s.status = any($3::text[]) order by s.position) as open_steps
         from orchestration_runs r
        where r.status = any($2::text[])
        order by r.created_at limit $1::int`,
      [limit, OPEN_RUN_STATUSES, ACTIVE_STEP_STATUSES],
    );
    return rows.map((row) => ({ runId: row.id, status: row.status, openSteps: row.open_steps ?? [] }));
  }
}
