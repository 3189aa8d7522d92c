import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { RUN_MOVES, RUN_STATUSES, STEP_MOVES, type RunStatus, type StepStatus } from '@baton/runs';
import { DoctorRepository } from './doctor.repository.js';

const STEP_STATUSES: StepStatus[] = ['pending', 'queued', 'running', 'waiting', 'completed', 'failed', 'skipped', 'cancelled'];
const ENDED: RunStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * The doctor's repairs against a step (and its run) in every status: each must move the row
 * exactly when its move's guard, derived from the transition table, lists that status.
 */
describe.each(testDatabaseKinds())('doctor repair guards in SQL on %s', (kind) => {
  let database: TestDatabase;
  let doctor: DoctorRepository;
  let definitionId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    doctor = new DoctorRepository(database.db);
    const { rows } = await database.db.query<{ id: string }>(
      `insert into orchestration_definitions (name, version, body, content_hash, step_count) values ('doctor-guards', '1', '{}'::jsonb, 'h', 1) returning id`,
    );
    definitionId = rows[0]!.id;
  });

  afterAll(() => database?.drop());

  /** A run in `runStatus` with one step `s` in `stepStatus`, leased (token 1) with a lease that ran out. */
  async function fixture(runStatus: RunStatus, stepStatus: StepStatus): Promise<{ runId: string; stepId: string }> {
    const { rows: runs } = await database.db.query<{ id: string }>(
      `insert into orchestration_runs (definition_id, definition_name, definition_version, owner, input, metadata, execution, max_parallel, steps_total, status)
       values ($1::uuid, 'doctor-guards', '1', '', '{}'::jsonb, '{}'::jsonb, '{}'::jsonb, 4, 1, $2::text) returning id`,
      [definitionId, runStatus],
    );
    const { rows: steps } = await database.db.query<{ id: string }>(
      `insert into orchestration_steps (run_id, step_key, position, type, status, depends_on, dependents, deps_remaining, is_sink, max_attempts,
         lease_token, lease_owner, lease_expires_at)
       values ($1::uuid, 's', 0, 'agent', $2::text, '{}', '{}', 0, true, 1, 1, 'gone', now() - interval '1 second') returning id`,
      [runs[0]!.id, stepStatus],
    );
    return { runId: runs[0]!.id, stepId: steps[0]!.id };
  }

  const statusOf = async (table: string, id: string) =>
    (await database.db.query<{ status: string }>(`select status from ${table} where id = $1::uuid`, [id])).rows[0]!.status;

  const stepRepairs: Array<[string, StepStatus, RunStatus, (stepId: string) => Promise<unknown>, readonly StepStatus[]]> = [
    ['requeue an expired lease (recover)', 'queued', 'running', (id) => database.db.transaction((tx) => doctor.requeueExpired(id, 1, tx)), STEP_MOVES.recover.from],
    ['wake a waiting step (wake)', 'queued', 'running', (id) => database.db.transaction((tx) => doctor.wakeWaiting(id, 'approval_decided', tx)), STEP_MOVES.wake.from],
    ['cancel a leaked step (cancelOrphan)', 'cancelled', 'completed', (id) => database.db.transaction((tx) => doctor.cancelLeaked(id, 1, tx)), STEP_MOVES.cancelOrphan.from],
  ];

  it.each(stepRepairs)('%s moves exactly the steps its guard lists', async (_name, to, runStatus, repair, guard) => {
    for (const from of STEP_STATUSES) {
      const { stepId } = await fixture(runStatus, from);
      await repair(stepId);
      expect([from, await statusOf('orchestration_steps', stepId)]).toEqual([from, guard.includes(from) ? to : from]);
    }
  });

  it('frees a leaked slot only when the run has ended', async () => {
    for (const runStatus of RUN_STATUSES) {
      const { stepId } = await fixture(runStatus, 'running');
      await database.db.transaction((tx) => doctor.cancelLeaked(stepId, 1, tx));
      expect([runStatus, await statusOf('orchestration_steps', stepId)]).toEqual([runStatus, ENDED.includes(runStatus) ? 'cancelled' : 'running']);
    }
  });

  it('fails exactly the runs failStuck lists, and only with no step in flight', async () => {
    for (const from of RUN_STATUSES) {
      const { runId } = await fixture(from, 'pending');
      const failed = await database.db.transaction((tx) => doctor.failRun(runId, 'stuck', tx));
      const allowed = (RUN_MOVES.failStuck.from as readonly RunStatus[]).includes(from);
      expect([from, failed !== null, await statusOf('orchestration_runs', runId)]).toEqual([from, allowed, allowed ? 'failed' : from]);
    }
    const busy = await fixture('running', 'waiting');
    expect(await database.db.transaction((tx) => doctor.failRun(busy.runId, 'stuck', tx))).toBeNull();
  });

  it('cancels the open steps a failed run left, naming the status each left', async () => {
    const { runId, stepId } = await fixture('failed', 'pending');
    expect(await database.db.transaction((tx) => doctor.cancelOpenSteps(runId, tx))).toEqual([{ runId, stepKey: 's', from: 'pending' }]);
    expect(await statusOf('orchestration_steps', stepId)).toBe('cancelled');
  });
});
