import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { RunRepository } from './run.repository.js';
import { StepLeaseRepository } from './step-lease.repository.js';
import { StepRepository } from './step.repository.js';

/**
 * The claim reads a step's dependencies with it (issue 17), so the executor need not: what it
 * reads must be exactly what `StepRepository.outputs`, the executor's own read, gives.
 */
describe.each(testDatabaseKinds())('a claim reads its dependencies on %s', (kind) => {
  let database: TestDatabase;
  let runs: RunRepository;
  let steps: StepRepository;
  let leases: StepLeaseRepository;
  let runId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    runs = new RunRepository(database.db);
    steps = new StepRepository(database.db);
    leases = new StepLeaseRepository(database.db);
    const { rows } = await database.db.query<{ id: string }>(
      `insert into orchestration_definitions (name, version, body, content_hash, step_count)
       values ('upstream', '1', '{}'::jsonb, 'h', 4) returning id`,
    );
    await database.db.transaction(async (tx) => {
      const run = await runs.insert(
        {
          definitionId: rows[0]!.id, definitionName: 'upstream', definitionVersion: '1', owner: '', input: {}, metadata: {},
          execution: {} as never, maxParallel: 4, idempotencyKey: null, parentRunId: null, parentStepId: null,
          stepsTotal: 4, submittedBy: null,
        },
        tx,
      );
      runId = run!.id;
      const step = { type: 'agent', agent: null, dependents: [], isSink: false, maxAttempts: 1, iteration: null };
      await steps.insertMany(runId, [
        { ...step, key: 'a', position: 0, dependsOn: [] },
        { ...step, key: 'b', position: 1, dependsOn: [], iteration: 2 },
        { ...step, key: 'c', position: 2, dependsOn: ['a', 'b'], isSink: true },
        { ...step, key: 'd', position: 3, dependsOn: [], isSink: true },
      ], tx);
      // a finished with an output, b (a loop) was skipped; c and d are due.
      await tx.query(
        `update orchestration_steps set status = 'completed', output = '{"answer": [1, "two", {"three": null}]}'::jsonb
          where run_id = $1::uuid and step_key = 'a'`,
        [runId],
      );
      await tx.query(`update orchestration_steps set status = 'skipped', skip_reason = 'condition' where run_id = $1::uuid and step_key = 'b'`, [runId]);
      await tx.query(
        `update orchestration_steps set status = 'queued', deps_remaining = 0, available_at = now() where run_id = $1::uuid and step_key in ('c', 'd')`,
        [runId],
      );
    });
  });

  afterAll(() => database?.drop());

  it('gives a step the outputs, statuses and iterations of its dependencies as the executor would read them', async () => {
    const { rows } = await database.db.query<{ id: string; step_key: string }>(
      `select id, step_key from orchestration_steps where run_id = $1::uuid and step_key in ('c', 'd') order by step_key`,
      [runId],
    );
    const claimed = await database.db.transaction((tx) => leases.claim(rows.map((r) => ({ id: r.id, servedBy: null })), 'me', 30, tx));
    const byKey = new Map(claimed.map((step) => [step.key, step]));
    const expected = Object.fromEntries(await steps.outputs(runId, ['a', 'b']));
    expect(byKey.get('c')!.upstream).toEqual(expected);
    expect(expected).toEqual({
      a: { output: { answer: [1, 'two', { three: null }] }, status: 'completed', skipReason: null },
      b: { output: null, status: 'skipped', skipReason: 'condition', iterations: [] },
    });
    // A step without dependencies reads nothing more.
    expect(byKey.get('d')!.upstream).toBeUndefined();
  });
});
