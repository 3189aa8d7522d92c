import { PgDatabase } from '@baton/db';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { GLOBAL_CLAIM_LOCK_KEY, runLockKey } from './claim-locks.repository.js';
import { RunRepository } from './run.repository.js';
import { StepRepository } from './step.repository.js';

/**
 * A batch of one run's completions may release its dependents and count them on the run in
 * the completion's own statement (issue 17). It must leave exactly what the completion and
 * `releaseDependentsAndCount`, as two statements, leave.
 */
describe.each(testDatabaseKinds())('completing and settling one run in one statement on %s', (kind) => {
  let database: TestDatabase;
  let runs: RunRepository;
  let steps: StepRepository;
  let definitionId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    runs = new RunRepository(database.db);
    steps = new StepRepository(database.db);
    const { rows } = await database.db.query<{ id: string }>(
      `insert into orchestration_definitions (name, version, body, content_hash, step_count)
       values ('settle', '1', '{}'::jsonb, 'h', 5) returning id`,
    );
    definitionId = rows[0]!.id;
  });

  afterAll(() => database?.drop());

  /**
   * a and b running (lease token 1), e running under a token we do not hold; c waits for a and
   * b, d for a, f for e. The run counts 5 steps.
   */
  async function fixture(): Promise<{ runId: string; ids: Record<string, string> }> {
    return database.db.transaction(async (tx) => {
      const run = await runs.insert(
        {
          definitionId, definitionName: 'settle', definitionVersion: '1', owner: '', input: {}, metadata: {},
          execution: {} as never, maxParallel: 4, idempotencyKey: null, parentRunId: null, parentStepId: null,
          stepsTotal: 6, submittedBy: null,
        },
        tx,
      );
      const step = { type: 'agent', agent: null, isSink: false, maxAttempts: 1, iteration: null };
      await steps.insertMany(run!.id, [
        { ...step, key: 'a', position: 0, dependsOn: [], dependents: ['c', 'd'] },
        { ...step, key: 'b', position: 1, dependsOn: [], dependents: ['c'] },
        { ...step, key: 'e', position: 2, dependsOn: [], dependents: ['f'] },
        { ...step, key: 'c', position: 3, dependsOn: ['a', 'b'], dependents: [], isSink: true },
        { ...step, key: 'd', position: 4, dependsOn: ['a'], dependents: [], isSink: true },
        { ...step, key: 'f', position: 5, dependsOn: ['e'], dependents: [], isSink: true },
      ], tx);
      await tx.query(
        `update orchestration_steps set status = 'running', lease_token = case when step_key = 'e' then 2 else 1 end, lease_owner = 'me'
          where run_id = $1::uuid and step_key in ('a', 'b', 'e')`,
        [run!.id],
      );
      const { rows } = await tx.query<{ id: string; step_key: string }>(`select id, step_key from orchestration_steps where run_id = $1::uuid`, [run!.id]);
      return { runId: run!.id, ids: Object.fromEntries(rows.map((r) => [r.step_key, r.id])) };
    });
  }

  const state = async (runId: string) => ({
    steps: (await database.db.query(
      `select step_key, status, deps_remaining, output, (available_at is not null) as due from orchestration_steps where run_id = $1::uuid order by step_key`,
      [runId],
    )).rows,
    run: (await database.db.query(`select steps_done, steps_total, status from orchestration_runs where id = $1::uuid`, [runId])).rows[0],
  });

  it('leaves the steps and the run as the two statements do, and says so', async () => {
    const items = (ids: Record<string, string>) => [
      { id: ids.a!, token: 1, output: { from: 'a' } },
      { id: ids.b!, token: 1, output: { from: 'b' } },
      { id: ids.e!, token: 1, output: { from: 'e' } }, // not our lease: refused
    ];
    const one = await fixture();
    const together = await database.db.transaction((tx) => steps.completeMany(items(one.ids), tx, { runId: one.runId }));
    const two = await fixture();
    const apart = await database.db.transaction(async (tx) => {
      const { finished } = await steps.completeMany(items(two.ids), tx);
      const dependents = finished.flatMap((f) => f?.dependents ?? []);
      return { finished, settled: await steps.releaseDependentsAndCount(two.runId, dependents, finished.filter(Boolean).length, tx) };
    });

    expect(together.finished.map((f) => f?.key ?? null)).toEqual(['a', 'b', null]);
    expect(apart.finished.map((f) => f?.key ?? null)).toEqual(['a', 'b', null]);
    expect(apart.settled.queued.sort()).toEqual(['c', 'd']);
    expect(together.settled!.queued.sort()).toEqual(['c', 'd']);
    expect(together.settled!.counter).toEqual(apart.settled.counter);
    expect(together.settled!.counter).toMatchObject({ stepsDone: 2, stepsTotal: 6 });
    expect(await state(one.runId)).toEqual(await state(two.runId));
  });

  it('settles nothing when every completion is refused', async () => {
    const { runId, ids } = await fixture();
    const result = await database.db.transaction((tx) => steps.completeMany([{ id: ids.e!, token: 1, output: null }], tx, { runId }));
    expect(result).toEqual({ finished: [null], settled: null });
    expect((await state(runId)).run).toMatchObject({ steps_done: 0 });
  });

  it("takes a hand-off's locks when asked, and says which it could not get", async () => {
    const { runId, ids } = await fixture();
    const [a, b] = [{ id: ids.a!, token: 1, output: 1 }, { id: ids.b!, token: 1, output: 2 }];
    const free = await database.db.transaction((tx) => steps.completeMany([a], tx, { runId, handOffLock: GLOBAL_CLAIM_LOCK_KEY }));
    expect(free.settled!.handOffLocks).toEqual({ global: true, run: true });
    // Another session holding the run's claim lock (a claim of it under way): no run lock.
    // PGlite has one session, in which advisory locks are re-entrant: Postgres only.
    if (kind !== 'postgres') return;
    const other = new PgDatabase(database.url!, 1);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = other.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(${runLockKey('$1::uuid')})`, [runId]);
      holding();
      await released;
    });
    try {
      await held;
      const busy = await database.db.transaction((tx) => steps.completeMany([b], tx, { runId, handOffLock: GLOBAL_CLAIM_LOCK_KEY }));
      expect(busy.settled!.handOffLocks).toEqual({ global: true, run: false });
    } finally {
      release();
      await holder;
      await other.close();
    }
  });
});
