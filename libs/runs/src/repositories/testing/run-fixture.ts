import type { Database } from '@baton/db';
import { RunRepository } from '../run.repository.js';
import { StepRepository, type NewStep } from '../step.repository.js';

/**
 * Runs and steps written straight through the repositories, for the repository specs
 * (claims, leases, compensations): no executor, no definition body worth the name.
 */
export async function insertDefinition(db: Database, name: string, stepCount: number): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into orchestration_definitions (name, version, body, content_hash, step_count) values ($1::text, '1', '{}'::jsonb, 'h', $2::int) returning id`,
    [name, stepCount],
  );
  return rows[0]!.id;
}

/** An agent step with no dependencies and no dependents (a sink), with `key` at `position`. */
export function plainStep(key: string, position: number, fields: Partial<NewStep> = {}): NewStep {
  return { key, position, type: 'agent', agent: null, dependsOn: [], dependents: [], isSink: true, maxAttempts: 1, iteration: null, ...fields };
}

/** A run of `definitionId` (named `name`) with `steps`, in one transaction; its id and its steps' ids by key. */
export async function insertRun(
  db: Database, definitionId: string, name: string, steps: NewStep[], maxParallel = 4,
): Promise<{ runId: string; stepIds: Record<string, string> }> {
  return db.transaction(async (tx) => {
    const run = await new RunRepository(db).insert(
      {
        definitionId, definitionName: name, definitionVersion: '1', owner: '', input: {}, metadata: {},
        execution: {} as never, maxParallel, idempotencyKey: null, parentRunId: null, parentStepId: null,
        stepsTotal: steps.length, submittedBy: null,
      },
      tx,
    );
    const runId = run!.id;
    await new StepRepository(db).insertMany(runId, steps, tx);
    const { rows } = await tx.query<{ id: string; step_key: string }>('select id, step_key from orchestration_steps where run_id = $1::uuid', [runId]);
    return { runId, stepIds: Object.fromEntries(rows.map((row) => [row.step_key, row.id])) };
  });
}
