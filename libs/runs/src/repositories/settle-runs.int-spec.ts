import { PgDatabase } from '@baton/db';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { StepRepository } from './step.repository.js';
import { insertDefinition, insertRun, plainStep } from './testing/run-fixture.js';

/**
 * A batch of completions from several runs settles them in one statement (issue 17):
 * `settleRuns` must leave each run exactly as settling it alone does, and concurrent
 * batches over the same runs, listed in any order, must not deadlock.
 */
describe.each(testDatabaseKinds())('settling several runs in one statement on %s', (kind) => {
  let database: TestDatabase;
  let steps: StepRepository;
  let definitionId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    steps = new StepRepository(database.db);
    definitionId = await insertDefinition(database.db, 'settle-runs', 4);
  });

  afterAll(() => database?.drop());

  /** a and b finished-to-be; c waits for both, d for a; the run counts 4 steps. */
  const fixture = () =>
    insertRun(database.db, definitionId, 'settle-runs', [
      plainStep('a', 0, { dependents: ['c', 'd'], isSink: false }),
      plainStep('b', 1, { dependents: ['c'], isSink: false }),
      plainStep('c', 2, { dependsOn: ['a', 'b'] }),
      plainStep('d', 3, { dependsOn: ['a'] }),
    ]);

  const state = async (runId: string) => ({
    steps: (await database.db.query(
      `select step_key, status, deps_remaining, (queued_at is not null) as due from orchestration_steps where run_id = $1::uuid order by step_key`,
      [runId],
    )).rows,
    run: (await database.db.query(`select steps_done, steps_total, status from orchestration_runs where id = $1::uuid`, [runId])).rows[0],
  });

  it('leaves each run as settling it alone does, and reports each', async () => {
    const [x, y, gone] = [await fixture(), await fixture(), await fixture()];
    const [xAlone, yAlone] = [await fixture(), await fixture()];
    await database.db.query('delete from orchestration_runs where id = $1::uuid', [gone.runId]);

    // x: a finished (c one short, d released); y: a and b finished (c and d released).
    const together = await database.db.transaction((tx) =>
      steps.settleRuns(
        [
          { runId: x.runId, dependents: ['c', 'd'], done: 1 },
          { runId: y.runId, dependents: ['c', 'd', 'c'], done: 2 },
          { runId: gone.runId, dependents: [], done: 1 },
        ],
        tx,
      ),
    );
    const alone = await database.db.transaction(async (tx) => ({
      x: await steps.releaseDependentsAndCount(xAlone.runId, ['c', 'd'], 1, tx),
      y: await steps.releaseDependentsAndCount(yAlone.runId, ['c', 'd', 'c'], 2, tx),
    }));

    expect(together.get(x.runId)).toEqual({ queued: ['d'], counter: { stepsDone: 1, stepsTotal: 4, status: 'pending' } });
    expect({ ...together.get(y.runId), queued: together.get(y.runId)!.queued.sort() }).toEqual({
      queued: ['c', 'd'], counter: { stepsDone: 2, stepsTotal: 4, status: 'pending' },
    });
    expect(together.get(gone.runId)).toEqual({ queued: [], counter: null });
    expect(alone.x).toEqual(together.get(x.runId));
    expect(alone.y.queued.sort()).toEqual(['c', 'd']);
    expect(await state(x.runId)).toEqual(await state(xAlone.runId));
    expect(await state(y.runId)).toEqual(await state(yAlone.runId));
    expect((await state(x.runId)).steps).toEqual([
      { step_key: 'a', status: 'queued', deps_remaining: 0, due: true },
      { step_key: 'b', status: 'queued', deps_remaining: 0, due: true },
      { step_key: 'c', status: 'pending', deps_remaining: 1, due: false },
      { step_key: 'd', status: 'queued', deps_remaining: 0, due: true },
    ]);
  });

  it('settles nothing for an empty batch', async () => {
    expect((await database.db.transaction((tx) => steps.settleRuns([], tx))).size).toBe(0);
  });

  it('lets concurrent batches over the same runs, in any order, all commit', async () => {
    // PGlite has one session: its transactions never overlap. Postgres only.
    if (kind !== 'postgres') return;
    const runIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { runId } = await insertRun(database.db, definitionId, 'settle-runs', [
        plainStep('root', 0, { dependents: ['leaf'], isSink: false }),
        plainStep('leaf', 1, { dependsOn: ['root'] }),
      ]);
      // Many dependencies outstanding, so every batch below has a dependent to lock.
      await database.db.query(`update orchestration_steps set deps_remaining = 1000 where run_id = $1::uuid and step_key = 'leaf'`, [runId]);
      runIds.push(runId);
    }
    const pool = new PgDatabase(database.url!, 8);
    const shuffled = (seed: number) => [...runIds].sort((a, b) => ((a.charCodeAt(seed % 8) * 31 + seed) % 17) - ((b.charCodeAt(seed % 8) * 31 + seed) % 17) || a.localeCompare(b));
    try {
      const batches = Array.from({ length: 40 }, (_, i) => i % 2 === 0 ? shuffled(i) : shuffled(i).reverse());
      // Each batch holds its locks a moment before committing, so batches overlap. Most have
      // no dependents (independent steps, a fan-out's batches): they lock only run rows.
      const results = await Promise.allSettled(
        batches.map((order, i) =>
          pool.transaction(async (tx) => {
            await steps.settleRuns(order.map((runId) => ({ runId, dependents: i % 4 === 0 ? ['leaf'] : [], done: 1 })), tx);
            await tx.query('select pg_sleep(0.005)');
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    } finally {
      await pool.close();
    }
    for (const runId of runIds) {
      const { run, steps: rows } = await state(runId);
      expect(run).toMatchObject({ steps_done: 40 });
      expect(rows.find((row) => row.step_key === 'leaf')).toMatchObject({ status: 'pending', deps_remaining: 990 });
    }
  });
});
