import { PgDatabase } from '@baton/db';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { startTestApp, useTestServer, type TestApp } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';
import { startCommitDroppingProxy, type CommitDroppingProxy } from './support/commit-dropping-proxy.js';
import { countStatements } from './support/statement-counter.js';

/**
 * The one-round-trip hand-off (issue 17): the transaction that completes a step claims its
 * successor for the same instance, so the successor's step.started is written by the very
 * transaction that wrote the predecessor's step.completed (same tx_id), and its claim time
 * is the predecessor's finish time (now() is the transaction's start). Before, a wake-up and
 * a claim transaction of its own came in between.
 */
describe.each(testDatabaseKinds())('hand-off on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_HANDOFF: 'true' });

  it('claims a chain step\'s successor in the transaction that completes it, once', async () => {
    const keys = ['a', 'b', 'c', 'd'];
    const run = await startPlan(ctx.url, {
      steps: keys.map((id, i) => ({ id, agent: 'builtin:echo', input: { i }, ...(i > 0 ? { depends_on: [keys[i - 1]] } : {}) })),
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');

    const { rows: events } = await ctx.database.db.query<{ type: string; step_key: string; tx_id: string }>(
      `select type, step_key, tx_id::text as tx_id from orchestration_events
        where run_id = $1::uuid and type in ('step.started', 'step.completed') order by seq`,
      [run.id],
    );
    const started = events.filter((e) => e.type === 'step.started');
    // Each step claimed exactly once.
    expect(started.map((e) => e.step_key)).toEqual(keys);
    for (let i = 1; i < keys.length; i++) {
      const completed = events.find((e) => e.type === 'step.completed' && e.step_key === keys[i - 1])!;
      const next = started.find((e) => e.step_key === keys[i])!;
      expect(next.tx_id).toBe(completed.tx_id);
    }

    const { rows: steps } = await ctx.database.db.query<{ step_key: string; claimed_at: Date; finished_at: Date; lease_token: string }>(
      `select step_key, claimed_at, finished_at, lease_token::text from orchestration_steps where run_id = $1::uuid order by position`,
      [run.id],
    );
    for (let i = 1; i < steps.length; i++) {
      expect(new Date(steps[i]!.claimed_at).getTime()).toBe(new Date(steps[i - 1]!.finished_at).getTime());
    }
    // One claim each: the fencing token was bumped once.
    expect(steps.map((s) => s.lease_token)).toEqual(keys.map(() => '1'));
  });

  it('writes a completion\'s events and its hand-off\'s in one append', async () => {
    const keys = ['a', 'b', 'c', 'd'];
    const appends = countStatements(ctx.database.db, /insert into orchestration_event_streams/);
    const run = await startPlan(ctx.url, {
      steps: keys.map((id, i) => ({ id, agent: 'builtin:echo', input: { i }, ...(i > 0 ? { depends_on: [keys[i - 1]] } : {}) })),
    });
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
    // run.created; the first claim (run.started, step.started a); one append per completion
    // with its hand-off (step.completed and the successor's step.started); the last
    // completion's step.completed, then run.completed. Two appends per hand-off before.
    expect(appends.count).toBe(1 + 1 + (keys.length - 1) + 2);
    const { rows } = await ctx.database.db.query<{ type: string; step_key: string | null }>(
      `select type, step_key from orchestration_events where run_id = $1::uuid order by seq`,
      [run.id],
    );
    // The log's order is unchanged: each step completes before its successor starts, the run ends last.
    expect(rows.map((e) => `${e.type}${e.step_key ? `:${e.step_key}` : ''}`)).toEqual([
      'run.created', 'run.started', 'step.started:a',
      'step.completed:a', 'step.started:b', 'step.completed:b', 'step.started:c', 'step.completed:c', 'step.started:d',
      'step.completed:d', 'run.completed',
    ]);
  });
});

/**
 * A completion whose COMMIT's answer is lost (the proxy cuts the connection right after the
 * server committed) is written again; the retry is refused (the step is completed already),
 * but the first attempt's hand-off claimed the successor for this instance. Without reading
 * it back, nobody runs it until its lease expires and recovery re-queues it.
 */
const describeOnPostgres = testDatabaseKinds().includes('postgres') ? describe : describe.skip;
describeOnPostgres('hand-off after a lost commit answer (postgres, through a proxy)', () => {
  let database: TestDatabase;
  let proxy: CommitDroppingProxy;
  let viaProxy: PgDatabase;
  let app: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const url = new URL(database.url!);
    proxy = await startCommitDroppingProxy(Number(url.port || 5432), url.hostname);
    url.port = String(proxy.port);
    viaProxy = new PgDatabase(url.toString(), 4);
    // A lease far longer than the test waits: recovery cannot be what finishes the run.
    app = await startTestApp(viaProxy, { BATON_HANDOFF: 'true', BATON_LEASE_SECONDS: '60' });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await viaProxy?.close().catch(() => undefined);
    await proxy?.close();
    await database?.drop();
  });

  it('runs the successor that the lost commit claimed, once, without lease recovery', async () => {
    // The completion statement (StepRepository.completeMany); the next COMMIT after it is lost.
    proxy.arm(/select distinct on \(b\.id\) b\.\* from unnest/);
    const keys = ['a', 'b', 'c'];
    const run = await startPlan(app.url, {
      steps: keys.map((id, i) => ({ id, agent: 'builtin:echo', input: { i }, ...(i > 0 ? { depends_on: [keys[i - 1]] } : {}) })),
    });
    const done = await waitForRun(app.url, run.id, undefined, 20_000);
    expect(proxy.dropped).toBe(1);
    expect(done.status).toBe('completed');

    const { rows } = await database.db.query<{ type: string; step_key: string | null }>(
      `select type, step_key from orchestration_events where run_id = $1::uuid order by seq`,
      [run.id],
    );
    expect(rows.filter((e) => e.type === 'step.recovered')).toEqual([]);
    for (const key of keys) {
      expect(rows.filter((e) => e.type === 'step.started' && e.step_key === key)).toHaveLength(1);
      expect(rows.filter((e) => e.type === 'step.completed' && e.step_key === key)).toHaveLength(1);
    }
  }, 40_000);
});
