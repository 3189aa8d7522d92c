import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { StepLeaseRepository } from './step-lease.repository.js';
import { insertDefinition, insertRun, plainStep } from './testing/run-fixture.js';

/**
 * A claim's candidates (issue 17: read per run from its own queue index): each run's due
 * queued steps, earliest first, at most its free slots (max_parallel minus its running
 * steps), only runs that may run, all of them in (available_at, run, position) order under
 * the limit; with `reserve`, the global reservation sized from what was found.
 */
describe.each(testDatabaseKinds())('claim candidates on %s', (kind) => {
  let database: TestDatabase;
  let leases: StepLeaseRepository;
  const run: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    leases = new StepLeaseRepository(database.db);
    const definitionId = await insertDefinition(database.db, 'candidates', 4);
    // key → [status, seconds from now it is available, wake reason]
    const layout: Record<keyof typeof run, { maxParallel: number; status: string; steps: Array<[string, string, number, string | null]> }> = {
      a: { maxParallel: 2, status: 'running', steps: [['a1', 'running', -9, null], ['a2', 'queued', -3, null], ['a3', 'queued', -1, null], ['a4', 'queued', 3600, null]] },
      b: { maxParallel: 3, status: 'running', steps: [['b1', 'queued', -2, null], ['b2', 'queued', -2, null], ['b3', 'queued', -5, null], ['b4', 'queued', -1, 'worker_job']] },
      c: { maxParallel: 5, status: 'paused', steps: [['c1', 'queued', -8, null]] },
      d: { maxParallel: 1, status: 'running', steps: [['d1', 'running', -9, null], ['d2', 'queued', -7, null]] },
    };
    const entries = Object.entries(layout) as Array<[keyof typeof run, (typeof layout)['a']]>;
    for (const [name, spec] of entries) {
      run[name] = (await insertRun(database.db, definitionId, 'candidates', spec.steps.map(([key], position) => plainStep(key, position)), spec.maxParallel)).runId;
    }
    // One transaction, so steps given the same offset share one now().
    await database.db.transaction(async (tx) => {
      for (const [name, spec] of entries) {
        await tx.query(`update orchestration_runs set status = $2::text, admitted_at = now() where id = $1::uuid`, [run[name], spec.status]);
        for (const [key, status, seconds, wake] of spec.steps) {
          await tx.query(
            `update orchestration_steps set status = $3::text, available_at = now() + ($4::int * interval '1 second'), wake_reason = $5::text
              where run_id = $1::uuid and step_key = $2::text`,
            [run[name], key, status, seconds, wake],
          );
        }
      }
    });
  });

  afterAll(() => database?.drop());

  const keysOf = async (ids: string[]) => {
    const { rows } = await database.db.query<{ id: string; step_key: string }>('select id, step_key from orchestration_steps where id = any($1::uuid[])', [ids]);
    const keys = new Map(rows.map((row) => [row.id, row.step_key]));
    return ids.map((id) => keys.get(id));
  };
  const candidates = (limit: number, continuationsOnly = false, reserve?: { capacity: number; globalMax: number }) =>
    database.db.transaction((tx) => leases.candidates(Object.values(run), limit, tx, continuationsOnly, reserve));

  it("takes each run's earliest due steps up to its free slots, in availability order, skipping runs that may not run", async () => {
    const { candidates: found, reservation } = await candidates(10);
    // a: one free slot (one running of two) → a2 before a3; a4 is not due. b: three slots for
    // four due steps → b3, b1, b2 (b4 is the latest). c is paused; d's one slot is taken.
    expect(await keysOf(found.map((c) => c.id))).toEqual(['b3', 'a2', 'b1', 'b2']);
    expect(found.map((c) => c.runId)).toEqual([run.b, run.a, run.b, run.b]);
    expect(reservation).toBeNull();
  });

  it('stops at the limit, earliest first across runs', async () => {
    expect(await keysOf((await candidates(2)).candidates.map((c) => c.id))).toEqual(['b3', 'a2']);
  });

  it('offers only continuations when asked (a worker node result wakes its step)', async () => {
    const { candidates: found } = await candidates(10, true);
    expect(await keysOf(found.map((c) => c.id))).toEqual(['b4']);
    expect(found[0]!.wakeReason).toBe('worker_job');
  });

  it('reserves as many global slots as it found steps, at most the capacity, and none when it found none', async () => {
    const some = await candidates(10, false, { capacity: 3, globalMax: 100 });
    expect(some.candidates).toHaveLength(4);
    expect(some.reservation).toMatchObject({ running: 2, want: 3, others: 0 });

    const paused = await database.db.transaction((tx) => leases.candidates([run.c], 10, tx, false, { capacity: 3, globalMax: 100 }));
    expect(paused.candidates).toEqual([]);
    expect(paused.reservation).toMatchObject({ running: 0, want: 0 });

    // Near the global limit: only what is left of it.
    const near = await candidates(10, false, { capacity: 3, globalMax: 3 });
    expect(near.reservation).toMatchObject({ running: 2, want: 1 });
  });
});
