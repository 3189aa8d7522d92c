import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { CompensationRepository } from './compensation.repository.js';
import { RunRepository } from './run.repository.js';
import { StepRepository } from './step.repository.js';

const SPEC = { agent: 'builtin:echo', maxAttempts: 3, initialDelayMs: 10 };
const CONTEXT = { input: {}, steps: {}, step: { input: null, output: null } };

/** Crash safety of compensations: leases, recovery, fencing, reverse order. */
describe.each(testDatabaseKinds())('compensation rows on %s', (kind) => {
  let database: TestDatabase;
  let repo: CompensationRepository;
  let runId: string;
  let stepIds: Map<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    repo = new CompensationRepository(database.db);
    const runs = new RunRepository(database.db);
    const steps = new StepRepository(database.db);
    const { rows } = await database.db.query<{ id: string }>(
      `insert into orchestration_definitions (name, version, body, content_hash, step_count) values ('saga', '1', '{}'::jsonb, 'h', 2) returning id`,
    );
    await database.db.transaction(async (tx) => {
      const run = await runs.insert(
        {
          definitionId: rows[0]!.id, definitionName: 'saga', definitionVersion: '1', owner: '', input: {}, metadata: {},
          execution: {} as never, maxParallel: 4, idempotencyKey: null, parentRunId: null, parentStepId: null, stepsTotal: 2, submittedBy: null,
        },
        tx,
      );
      runId = run!.id;
      await steps.insertMany(runId, [
        { key: 'a', position: 0, type: 'agent', agent: null, dependsOn: [], dependents: ['b'], isSink: false, maxAttempts: 1, iteration: 1 },
        { key: 'b', position: 1, type: 'agent', agent: null, dependsOn: ['a'], dependents: [], isSink: true, maxAttempts: 1, iteration: 1 },
      ], tx);
      await tx.query(`update orchestration_runs set status = 'compensating' where id = $1::uuid`, [runId]);
    });
    const { rows: stepRows } = await database.db.query<{ id: string; step_key: string }>('select id, step_key from orchestration_steps where run_id = $1::uuid', [runId]);
    stepIds = new Map(stepRows.map((r) => [r.step_key, r.id]));
    await database.db.transaction((tx) =>
      repo.insertMany(runId, 'failed', [
        { stepId: stepIds.get('a')!, stepKey: 'a', afterKeys: ['b'], spec: SPEC, context: CONTEXT },
        { stepId: stepIds.get('b')!, stepKey: 'b', afterKeys: [], spec: SPEC, context: CONTEXT },
      ], 600, tx),
    );
  });

  afterAll(() => database?.drop());
  let claimedA: Awaited<ReturnType<CompensationRepository['claim']>>[number];

  it('claims a compensation only after those of its dependents, and refuses a report after the lease was lost', async () => {
    const [first, ...none] = await repo.claim('one', 30, 10, 60);
    expect(none).toEqual([]);
    expect(first).toMatchObject({ stepKey: 'b', attempt: 1 });
    expect(await repo.claim('two', 30, 10, 60)).toEqual([]); // a waits for b
    // The instance dies: its lease expires, another instance recovers and re-claims the same attempt.
    await database.db.query(`update orchestration_compensations set lease_expires_at = now() - interval '1 second' where id = $1::uuid`, [first!.id]);
    expect(await repo.recoverExpired()).toBe(1);
    const [again] = await repo.claim('two', 30, 10, 60);
    expect(again).toMatchObject({ id: first!.id, attempt: 1 });
    expect(again!.leaseToken).toBeGreaterThan(first!.leaseToken);
    // The first instance's late report is refused; the owner's completes it, once.
    expect(await database.db.transaction((tx) => repo.finish(first!, 'completed', { output: 'late' }, tx))).toBeNull();
    expect(await database.db.transaction((tx) => repo.finish(again!, 'completed', { output: 'ok' }, tx))).toEqual({ runId, outcome: 'failed' });
    expect(await database.db.transaction((tx) => repo.finish(again!, 'completed', { output: 'twice' }, tx))).toBeNull();
    const [next] = await repo.claim('two', 30, 10, 60);
    expect(next).toMatchObject({ stepKey: 'a' });
    claimedA = next!;
    expect(await database.db.transaction((tx) => repo.tally(runId, tx))).toEqual({ open: 1, failed: 0 });
    const { rows } = await database.db.query<{ output: unknown }>('select output from orchestration_compensations where id = $1::uuid', [first!.id]);
    expect(rows[0]!.output).toBe('ok');
  });

  it('escalates a compensation out of attempts, re-queues it with fresh attempts on retry, and abandons it at the deadline', async () => {
    const stepA = stepIds.get('a')!;
    await database.db.transaction((tx) => repo.finish(claimedA, 'escalated', { error: { message: 'no' } }, tx));
    // Escalated is open (the run keeps compensating) and is not claimable; a late report cannot move it.
    expect(await database.db.transaction((tx) => repo.tally(runId, tx))).toEqual({ open: 1, failed: 0 });
    expect(await repo.claim('two', 30, 10, 60)).toEqual([]);
    expect(await database.db.transaction((tx) => repo.finish(claimedA, 'completed', { output: 'late' }, tx))).toBeNull();
    expect(await database.db.transaction((tx) => repo.findEscalated(claimedA.id, tx))).toMatchObject({ stepKey: 'a', attempt: 1, error: { message: 'no' } });
    // retry: pending again, with attempt + max_attempts (3) to spend.
    expect(await database.db.transaction((tx) => repo.resolve(runId, stepA, 'retry', tx))).toMatchObject({ stepKey: 'a', outcome: 'failed' });
    expect(await database.db.transaction((tx) => repo.resolve(runId, stepA, 'give_up', tx))).toBeNull();
    const [again] = await repo.claim('three', 30, 10, 60);
    expect(again).toMatchObject({ stepKey: 'a', attempt: 2, maxAttempts: 4 });
    // The rollback's deadline passes: the running compensation is abandoned and its report refused.
    expect(await database.db.transaction((tx) => repo.abandonOverdue(10, { message: 'late', code: 'compensation_timeout' }, tx))).toEqual([]);
    await database.db.query(`update orchestration_compensations set deadline_at = now() - interval '1 second' where run_id = $1::uuid`, [runId]);
    expect(await database.db.transaction((tx) => repo.abandonOverdue(10, { message: 'late', code: 'compensation_timeout' }, tx))).toEqual([{ runId, stepKey: 'a', outcome: 'failed' }]);
    expect(await database.db.transaction((tx) => repo.finish(again!, 'completed', { output: 'too late' }, tx))).toBeNull();
    expect(await database.db.transaction((tx) => repo.tally(runId, tx))).toEqual({ open: 0, failed: 1 });
  });
});
