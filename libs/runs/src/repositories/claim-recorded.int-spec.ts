import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { StepLeaseRepository } from './step-lease.repository.js';
import { insertDefinition, insertRun, plainStep } from './testing/run-fixture.js';

/**
 * The claim that records itself (issue 17): one statement claims the picks, starts the
 * pending runs, records the agents' last claims and appends every event, a caller's leading
 * events first, then `run.started`, then one `step.started` per step in pick order. A refused
 * recount writes none of it.
 */
describe.each(testDatabaseKinds())('a claim recorded in its own statement on %s', (kind) => {
  let database: TestDatabase;
  let leases: StepLeaseRepository;
  let runId = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    leases = new StepLeaseRepository(database.db);
    const definitionId = await insertDefinition(database.db, 'recorded', 4);
    const inserted = await insertRun(database.db, definitionId, 'recorded', ['w', 'x', 'y', 'z'].map((key, position) => plainStep(key, position, { maxAttempts: 3 })));
    runId = inserted.runId;
    Object.assign(ids, inserted.stepIds);
    await database.db.query(`update orchestration_runs set admitted_at = now() where id = $1::uuid`, [runId]);
    await database.db.query(`update orchestration_steps set status = 'queued', available_at = now() where run_id = $1::uuid`, [runId]);
  });

  afterAll(() => database?.drop());

  const events = async () =>
    (
      await database.db.query<{ seq: string; type: string; step_key: string | null; data: Record<string, unknown> }>(
        'select seq::text, type, step_key, data from orchestration_events where run_id = $1::uuid order by seq',
        [runId],
      )
    ).rows;

  it('writes nothing when the recount of the global limit leaves no room', async () => {
    const refused = await database.db.transaction((tx) =>
      leases.claimRecorded([{ id: ids.x!, servedBy: 'agent-x' }], 'me', 30, { atMost: 5, globalMax: 4 }, { leading: [{ runId, type: 'step.cache_hit', stepKey: 'w', data: { cacheKey: 'refused' } }], agents: ['agent-x'] }, tx),
    );
    expect(refused).toBe('no_room');
    expect(await events()).toEqual([]);
    const { rows } = await database.db.query<{ status: string }>(`select status from orchestration_runs where id = $1::uuid`, [runId]);
    expect(rows[0]!.status).toBe('pending');
    expect((await database.db.query('select * from orchestration_agent_claims')).rows).toEqual([]);
  });

  it('claims, starts the run, records the agents and appends every event once, in order', async () => {
    const picks = [{ id: ids.z!, servedBy: null }, { id: ids.x!, servedBy: 'agent-x' }, { id: ids.y!, servedBy: 'agent-y' }];
    const result = await database.db.transaction((tx) =>
      leases.claimRecorded(picks, 'me', 30, { atMost: 3, globalMax: 10 }, { leading: [{ runId, type: 'step.cache_hit', stepKey: 'w', data: { cacheKey: 'lent' } }], agents: ['agent-x', 'agent-y'] }, tx),
    );
    if (result === 'no_room') throw new Error('refused');
    expect(result.claimed.map((s) => s.key)).toEqual(['z', 'x', 'y']);
    expect(result.claimed.every((s) => s.attempt === 1 && s.runStatus === 'pending')).toBe(true);
    expect(result.started).toEqual([runId]);

    const stored = await events();
    expect(stored.map((e) => [e.type, e.step_key])).toEqual([
      ['step.cache_hit', 'w'], ['run.started', null], ['step.started', 'z'], ['step.started', 'x'], ['step.started', 'y'],
    ]);
    expect(stored.map((e) => Number(e.seq))).toEqual([1, 2, 3, 4, 5]);
    expect(stored[0]!.data).toEqual({ cacheKey: 'lent' });
    expect(stored[1]!.data).toEqual({ from: 'pending', to: 'running' });
    expect(stored[3]!.data).toEqual({ attempt: 1, agent: null, servedBy: 'agent-x', instance: 'me', from: 'queued', to: 'running' });
    // What the statement returned is what it stored: each event once, with its position.
    expect(result.events.map((e) => [e.type, e.stepKey, e.seq])).toEqual(stored.map((e) => [e.type, e.step_key, Number(e.seq)]));
    expect(result.events.every((e) => e.position === `${e.position.split('.')[0]}.${e.id}` && e.createdAt instanceof Date)).toBe(true);

    const { rows: run } = await database.db.query<{ status: string }>(`select status from orchestration_runs where id = $1::uuid`, [runId]);
    expect(run[0]!.status).toBe('running');
    const { rows: agents } = await database.db.query<{ agent: string }>('select agent from orchestration_agent_claims order by last_claimed_at');
    expect(agents.map((a) => a.agent)).toEqual(['agent-x', 'agent-y']);
  });
});
