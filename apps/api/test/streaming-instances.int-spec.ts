import { PgDatabase } from '@baton/db';
import { createTestDatabase, type TestDatabase, expectWithinBound, since } from '@baton/testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { startPlan } from './support/runs.js';
import { delayPlan, delayStep } from './support/step-audit.js';
import { openSse } from './support/sse-client.js';

/**
 * Two replicas on one Postgres: a client of A sees what B writes, live. Both safety polls
 * are a minute away, so within the test only LISTEN/NOTIFY can carry B's events to A.
 */
const postgres = process.env.TEST_DATABASE_URL;
const describeOnPostgres = postgres ? describe : describe.skip;
if (!postgres) console.warn('streaming-instances.int-spec: skipped, set TEST_DATABASE_URL to run it');

describeOnPostgres('event streams across instances (needs TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  let secondConnection: PgDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    secondConnection = new PgDatabase(database.url!, 5);
    const quiet = { BATON_POLL_INTERVAL_MS: '60000' };
    a = await startTestApp(database.db, { ...quiet, BATON_INSTANCE_ID: 'instance-a' });
    b = await startTestApp(secondConnection, { ...quiet, BATON_INSTANCE_ID: 'instance-b' });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await secondConnection?.close();
    await database?.drop();
  });

  it('streams to a client of A, live, a run submitted to and written by B', async () => {
    const everything = await openSse(`${a.url}/api/v1/events?types=run.created`);
    // Let the first (empty) read pass, so what follows can only arrive as a live wake-up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const submittedAt = Date.now();
    const run = await startPlan(b.url, delayPlan([delayStep('a', 150), delayStep('b', 150, ['a'])], 1));
    const created = await everything.next(3_000);
    everything.close();
    expect(created).toMatchObject({ event: 'run.created', data: { runId: run.id, seq: 1 } });
    expectWithinBound('a run created on B reaching a client of A', since(submittedAt), 2_000);

    const stream = await openSse(`${a.url}/api/v1/runs/${run.id}/events`);
    const { frames, ended } = await stream.collect(undefined, 5_000);
    expect(ended).toBe(true);
    const { rows } = await database.db.query<{ seq: number }>(
      'select seq::int as seq from orchestration_events where run_id = $1::uuid order by seq',
      [run.id],
    );
    expect(frames.map((f) => f.data.seq)).toEqual(rows.map((r) => r.seq));
    expect(frames.at(-1)!.event).toBe('run.completed');
  });
});
