import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';

/** One row per (run, step, attempt) given to its agent: `agent.task_assigned` goes out once. */
@Injectable()
export class TaskAssignmentRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Records the assignment; false when it was already recorded (the event went out then). */
  async record(runId: string, stepKey: string, attempt: number, q: Queryable = this.db): Promise<boolean> {
    const { rows } = await q.query<{ run_id: string }>(
      `insert into workflow_task_assignments (run_id, step_key, attempt) values ($1::uuid, $2::text, $3::int)
       on conflict on constraint workflow_task_assignments_pkey do nothing returning run_id`,
      [runId, stepKey, attempt],
    );
    return rows.length > 0;
  }
}
