import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import type { Queryable } from '@baton/db';
import { APPROVAL_MACHINE, APPROVAL_MOVES } from './approval-status.js';
import { ApprovalRepository } from './approval.repository.js';
import type { ApprovalStatus } from './approval.types.js';

/**
 * The approval statements against a row in every status: each must change it exactly when
 * its move's guard lists that status, and the table allows the change.
 */
describe.each(testDatabaseKinds())('approval guards in SQL on %s', (kind) => {
  let database: TestDatabase;
  let approvals: ApprovalRepository;
  let runId: string;
  let step = 0;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    approvals = new ApprovalRepository(database.db);
    const { rows } = await database.db.query<{ id: string }>(
      `with d as (insert into orchestration_definitions (name, version, body, content_hash, step_count)
                  values ('g', '1', '{}'::jsonb, 'h', 1) returning id)
       insert into orchestration_runs (definition_id, definition_name, definition_version, execution, max_parallel, steps_total)
       select id, 'g', '1', '{}'::jsonb, 1, 1 from d returning id`,
    );
    runId = rows[0]!.id;
  });

  afterAll(() => database?.drop());

  async function approvalIn(status: ApprovalStatus, db: Queryable = database.db): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `insert into human_approvals (run_id, step_id, step_key, attempt, status)
       values ($1::uuid, gen_random_uuid(), $2::text, 1, $3::text) returning id`,
      [runId, `s${step++}`, status],
    );
    return rows[0]!.id;
  }

  const statusOf = async (id: string) =>
    (await database.db.query<{ status: ApprovalStatus }>(`select status from human_approvals where id = $1::uuid`, [id])).rows[0]!.status;

  const fields = { decision: 'approve' as const, comment: null, payload: null, decidedBy: { name: 'test' } };

  it.each(['approved', 'rejected', 'expired'] as const)('decides (%s) exactly the approvals the table allows', async (to) => {
    for (const from of APPROVAL_MACHINE.states) {
      const id = await approvalIn(from);
      await database.db.transaction((tx) => approvals.decide(id, to, fields, tx));
      const allowed = APPROVAL_MOVES.decide.from.includes(from);
      if (allowed) expect(APPROVAL_MACHINE.can(from, to)).toBe(true);
      expect([from, await statusOf(id)]).toEqual([from, allowed ? to : from]);
    }
  });

  it('cancels, one by one or for a run, exactly the approvals the table allows', async () => {
    for (const from of APPROVAL_MACHINE.states) {
      const id = await approvalIn(from);
      await database.db.transaction((tx) => approvals.cancel(id, tx));
      const allowed = APPROVAL_MOVES.cancel.from.includes(from);
      expect([from, await statusOf(id)]).toEqual([from, allowed ? 'cancelled' : from]);
    }
    const ids = await Promise.all(APPROVAL_MACHINE.states.map((s) => approvalIn(s)));
    await approvals.cancelPendingForRun(runId);
    const after = await Promise.all(ids.map(statusOf));
    expect(after).toEqual(APPROVAL_MACHINE.states.map((s) => (APPROVAL_MACHINE.can(s, 'cancelled') ? 'cancelled' : s)));
  });

  it('locks for a decision only an open approval', async () => {
    for (const from of APPROVAL_MACHINE.states) {
      const id = await approvalIn(from);
      const locked = await database.db.transaction((tx) => approvals.lockOpen(id, tx));
      expect([from, locked !== null]).toEqual([from, APPROVAL_MOVES.decide.from.includes(from)]);
    }
  });
});
