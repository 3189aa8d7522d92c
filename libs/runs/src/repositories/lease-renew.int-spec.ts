import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { StepLeaseRepository } from './step-lease.repository.js';
import { insertDefinition, insertRun, plainStep } from './testing/run-fixture.js';

/**
 * Lease renewal extends exactly the running steps this owner holds, and says which those
 * are: the executor gives up a step whose id does not come back.
 */
describe.each(testDatabaseKinds())('lease renewal on %s', (kind) => {
  let database: TestDatabase;
  let leases: StepLeaseRepository;
  const id: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    leases = new StepLeaseRepository(database.db);
    const definitionId = await insertDefinition(database.db, 'renew', 5);
    const layout: Array<[string, string, string | null]> = [
      ['mine', 'running', 'a'], ['also-mine', 'running', 'a'], ['theirs', 'running', 'b'], ['requeued', 'queued', 'a'], ['done', 'completed', 'a'],
    ];
    const { runId, stepIds } = await insertRun(database.db, definitionId, 'renew', layout.map(([key], position) => plainStep(key, position)), 5);
    Object.assign(id, stepIds);
    for (const [key, status, owner] of layout) {
      await database.db.query(
        `update orchestration_steps set status = $3::text, lease_owner = $4::text, lease_expires_at = now() - interval '1 minute'
          where run_id = $1::uuid and step_key = $2::text`,
        [runId, key, status, owner],
      );
    }
  });

  afterAll(() => database?.drop());

  it("extends this owner's running leases only, and returns just those ids", async () => {
    const asked = [id.requeued!, id.theirs!, id.mine!, id.done!, id['also-mine']!, id.mine!, '00000000-0000-4000-8000-000000000000'];
    const held = await leases.renew(asked, 'a', 30);
    expect([...held].sort()).toEqual([id.mine!, id['also-mine']!].sort());

    const { rows } = await database.db.query<{ step_key: string; ahead: boolean }>(
      `select step_key, lease_expires_at > now() as ahead from orchestration_steps where id = any($1::uuid[]) order by step_key`,
      [Object.values(id)],
    );
    expect(Object.fromEntries(rows.map((r) => [r.step_key, r.ahead]))).toEqual({
      'also-mine': true, done: false, mine: true, requeued: false, theirs: false,
    });
    expect(await leases.renew([], 'a', 30)).toEqual(new Set());
  });
});
