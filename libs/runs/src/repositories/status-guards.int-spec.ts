import { randomUUID } from 'node:crypto';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { RUN_MACHINE, RUN_MOVES, RUN_STATUSES, type RunStatus } from '../domain/run-status.js';
import { STEP_MACHINE, STEP_MOVES, STEP_STATUSES, finishGuard, type StepStatus } from '../domain/step-status.js';
import { RunRepository } from './run.repository.js';
import { StepIterationRepository } from './step-iteration.repository.js';
import { StepLeaseRepository } from './step-lease.repository.js';
import { StepRepository } from './step.repository.js';

/**
 * Proves that the SQL obeys the transition tables: each repository statement is run against
 * a row in every status, and it must move the row exactly when its move's guard (derived from
 * the table) lists that status.
 */
describe.each(testDatabaseKinds())('status guards in SQL on %s', (kind) => {
  let database: TestDatabase;
  let runs: RunRepository;
  let steps: StepRepository;
  let leases: StepLeaseRepository;
  let iterations: StepIterationRepository;
  let definitionId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    runs = new RunRepository(database.db);
    steps = new StepRepository(database.db);
    leases = new StepLeaseRepository(database.db);
    iterations = new StepIterationRepository(database.db);
    const { rows } = await database.db.query<{ id: string }>(
      `insert into orchestration_definitions (name, version, body, content_hash, step_count)
       values ('guards', '1', '{}'::jsonb, 'h', 1) returning id`,
    );
    definitionId = rows[0]!.id;
  });

  afterAll(() => database?.drop());

  /** A run with one step `s` (and a dependent `t`), both forced into the given statuses. */
  async function fixture(runStatus: RunStatus, stepStatus: StepStatus): Promise<{ runId: string; stepId: string }> {
    return database.db.transaction(async (tx) => {
      const run = await runs.insert(
        {
          definitionId, definitionName: 'guards', definitionVersion: '1', owner: '', input: {}, metadata: {},
          execution: {} as never, maxParallel: 4, idempotencyKey: null, parentRunId: null, parentStepId: null,
          stepsTotal: 1, submittedBy: null,
        },
        tx,
      );
      await steps.insertMany(run!.id, [
        { key: 's', position: 0, type: 'agent', agent: null, dependsOn: [], dependents: [], isSink: true, maxAttempts: 1, iteration: 1 },
      ], tx);
      const { rows } = await tx.query<{ id: string }>(
        `update orchestration_steps set status = $2::text, lease_token = 1, lease_owner = 'me', deps_remaining = 1,
                lease_expires_at = now() - interval '1 second'
          where run_id = $1::uuid returning id`,
        [run!.id, stepStatus],
      );
      await tx.query(`update orchestration_runs set status = $2::text where id = $1::uuid`, [run!.id, runStatus]);
      return { runId: run!.id, stepId: rows[0]!.id };
    });
  }

  async function stepStatus(id: string): Promise<StepStatus> {
    return (await database.db.query<{ status: StepStatus }>(`select status from orchestration_steps where id = $1::uuid`, [id])).rows[0]!.status;
  }

  async function runStatus(id: string): Promise<RunStatus> {
    return (await database.db.query<{ status: RunStatus }>(`select status from orchestration_runs where id = $1::uuid`, [id])).rows[0]!.status;
  }

  it.each(Object.keys(RUN_MOVES) as Array<keyof typeof RUN_MOVES>)('RunRepository.transition(%s) moves exactly the runs the table allows', async (name) => {
    const move = RUN_MOVES[name];
    for (const from of RUN_STATUSES) {
      const { runId } = await fixture(from, 'running');
      const moved = await database.db.transaction((tx) => runs.transition(runId, move, tx));
      const allowed = RUN_MACHINE.can(from, move.to) && (move.from as readonly RunStatus[]).includes(from);
      expect([from, moved !== null]).toEqual([from, allowed]);
      expect(await runStatus(runId)).toBe(allowed ? move.to : from);
      if (moved) expect(moved.from).toBe(from);
    }
  });

  it('starts only pending runs', async () => {
    for (const from of RUN_STATUSES) {
      const { runId } = await fixture(from, 'queued');
      const started = await database.db.transaction((tx) => runs.markStarted([runId], tx));
      expect([from, started.length === 1]).toEqual([from, RUN_MACHINE.can(from, 'running') && from === 'pending']);
    }
  });

  /** Each step statement, the move it claims to perform, and how to call it on a fixture. */
  const stepStatements: Array<[string, StepStatus, (ids: { runId: string; stepId: string }) => Promise<unknown>, readonly StepStatus[]]> = [
    ['finish completed', 'completed', ({ stepId }) => database.db.transaction((tx) => steps.finish(stepId, 1, 'completed', {}, tx)), finishGuard('completed')],
    ['finish failed', 'failed', ({ stepId }) => database.db.transaction((tx) => steps.finish(stepId, 1, 'failed', {}, tx)), finishGuard('failed')],
    ['finish skipped', 'skipped', ({ stepId }) => database.db.transaction((tx) => steps.finish(stepId, 1, 'skipped', {}, tx)), finishGuard('skipped')],
    ['release dependents', 'queued', ({ runId }) => database.db.transaction((tx) => steps.releaseDependentsAndCount(runId, ['s'], 0, tx)), STEP_MOVES.release.from],
    ['requeue for retry', 'queued', ({ stepId }) => database.db.transaction((tx) => steps.requeueForRetry(stepId, 1, 0, { error: { message: 'x' } }, tx)), STEP_MOVES.retry.from],
    ['park', 'waiting', ({ stepId }) => database.db.transaction((tx) => steps.markWaiting(stepId, 1, null, tx)), STEP_MOVES.park.from],
    ['wake', 'queued', ({ stepId }) => database.db.transaction((tx) => steps.wake(stepId, 'x', tx)), STEP_MOVES.wake.from],
    ['cancel open', 'cancelled', ({ runId }) => database.db.transaction((tx) => steps.cancelOpen(runId, tx)), STEP_MOVES.cancel.from],
    ['reopen', 'queued', ({ runId }) => database.db.transaction((tx) => steps.reopen(runId, tx)), STEP_MOVES.reopen.from],
    ['claim', 'running', ({ stepId }) => database.db.transaction((tx) => leases.claim([{ id: stepId, servedBy: null }], 'me', 30, tx)), STEP_MOVES.claim.from],
    ['park for an agent', 'waiting', ({ stepId }) => database.db.transaction((tx) => leases.parkForAgent([stepId], tx)), STEP_MOVES.parkForAgent.from],
    ['recover expired', 'queued', () => database.db.transaction((tx) => leases.recoverExpired(5, tx)), STEP_MOVES.recover.from],
    ['release at shutdown', 'queued', ({ stepId }) => leases.release(stepId, 1), STEP_MOVES.recover.from],
    ['advance a loop', 'queued', ({ stepId }) => database.db.transaction((tx) => iterations.advance(stepId, 1, 1, null, tx)), STEP_MOVES.iterate.from],
  ];

  it.each(stepStatements)('%s moves exactly the steps its guard lists, and the table allows', async (_name, to, call, guard) => {
    for (const from of STEP_STATUSES) {
      const ids = await fixture('running', from);
      await call(ids);
      const now = await stepStatus(ids.stepId);
      const allowed = guard.includes(from);
      if (allowed) expect(STEP_MACHINE.can(from, to)).toBe(true);
      expect([from, now]).toEqual([from, allowed ? to : from]);
    }
  });

  it('advances a loop only for the lease holder, once per iteration', async () => {
    const { stepId } = await fixture('running', 'running');
    const advance = (token: number, iteration: number) => database.db.transaction((tx) => iterations.advance(stepId, token, iteration, null, tx));
    expect(await advance(2, 1)).toBe(false); // a stale or foreign token
    expect(await advance(1, 2)).toBe(false); // not the iteration the step is at
    expect(await advance(1, 1)).toBe(true);
    expect(await advance(1, 1)).toBe(false); // the same report again: the step is queued now
    const { rows } = await database.db.query<{ iteration: number; status: string }>('select iteration, status from orchestration_steps where id = $1::uuid', [stepId]);
    expect(rows[0]).toEqual({ iteration: 2, status: 'queued' });
  });
});
