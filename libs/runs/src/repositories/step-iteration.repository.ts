import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { StepError, StepIteration } from '../domain/run.types.js';
import { STEP_MOVES } from '../domain/step-status.js';
import { json } from './run.mapper.js';

interface IterationRow {
  step_key: string;
  iteration: number;
  status: 'completed' | 'failed';
  input: unknown;
  output: unknown;
  error: StepError | null;
  started_at: Date | null;
  finished_at: Date;
}

/** orchestration_step_iterations: the finished iterations of looping steps, append-only. */
@Injectable()
export class StepIterationRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Records iteration `iteration` of a step as finished: one row per (step, iteration). The
   * caller's fenced step write decides who may record; a second record of the same iteration
   * happens only when an operator re-opened a failed run, and then replaces the first.
   */
  async record(
    row: { stepId: string; runId: string; iteration: number; status: 'completed' | 'failed'; input: unknown; output: unknown; error?: StepError; startedAt: Date },
    tx: Queryable,
  ): Promise<void> {
    await tx.query(
      `insert into orchestration_step_iterations (step_id, run_id, iteration, status, input, output, error, started_at)
       values ($1::uuid, $2::uuid, $3::int, $4::text, $5::jsonb, $6::jsonb, $7::jsonb, $8::timestamptz)
       on conflict (step_id, iteration) do update
         set status = excluded.status, input = excluded.input, output = excluded.output, error = excluded.error,
             started_at = excluded.started_at, finished_at = now()`,
      [row.stepId, row.runId, row.iteration, row.status, json(row.input), json(row.output ?? null), json(row.error ?? null), row.startedAt],
    );
  }

  /**
   * running → queued for the next iteration, only for the holder of the lease and only if
   * the step is still at `iteration`. The next claim is a new attempt with a fresh budget of
   * attempts (`attempt_budget`), so retries count per iteration.
   */
  async advance(id: string, token: number, iteration: number, input: unknown, tx: Queryable): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update orchestration_steps
          set status = 'queued', iteration = iteration + 1, input = coalesce($4::jsonb, input), error = null,
              max_attempts = attempt + attempt_budget, available_at = now(), queued_at = now(),
              lease_owner = null, lease_expires_at = null, wake_reason = null, updated_at = now()
        where id = $1::uuid and lease_token = $2::bigint and iteration = $3::int and status = any($5::text[])`,
      [id, token, iteration, json(input), STEP_MOVES.iterate.from],
    );
    return rowCount > 0;
  }

  /** Every finished iteration of a run's looping steps, grouped by step key, in order. */
  async listByRun(runId: string, tx: Queryable = this.db): Promise<Map<string, StepIteration[]>> {
    const { rows } = await tx.query<IterationRow>(
      `select s.step_key, i.iteration, i.status, i.input, i.output, i.error, i.started_at, i.finished_at
         from orchestration_step_iterations i join orchestration_steps s on s.id = i.step_id
        where i.run_id = $1::uuid
        order by s.position, i.iteration`,
      [runId],
    );
    const byStep = new Map<string, StepIteration[]>();
    for (const row of rows) {
      const list = byStep.get(row.step_key) ?? [];
      list.push({
        stepKey: row.step_key,
        iteration: row.iteration,
        status: row.status,
        input: row.input,
        output: row.output,
        error: row.error,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
      });
      byStep.set(row.step_key, list);
    }
    return byStep;
  }
}
