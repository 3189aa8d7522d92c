import { PgDatabase } from '@baton/db';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { startTestApp, useTestServer, type TestApp } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';
import { startCommitDroppingProxy, type CommitDroppingProxy } from './support/commit-dropping-proxy.js';
import { countStatements, recordTransactions } from './support/statement-counter.js';
import { startGatedAgent } from './support/gated-agent.js';
import { http } from './support/test-app.js';
import { waitFor } from '@baton/testing';

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
 * A run created in this process has its first steps claimed by a hand-off of its own (issue
 * 17), as a completion's successors are: the transaction that claims them is not a claim
 * round's (whose scan of every claimable run, `lockRuns`, is its `ordered as materialized`).
 */
describe.each(testDatabaseKinds())('a new run\'s first steps on %s', (kind) => {
  // No safety-net sweep during the test: a claim round it started just as the run was
  // created would rightly take the run's steps itself (the hand-off finds no free slot).
  const ctx = useTestServer(kind, { BATON_HANDOFF: 'true', BATON_POLL_INTERVAL_MS: '600000' });

  it('are claimed by a hand-off of their own, once each, without a claim round', async () => {
    const agent = await startGatedAgent();
    try {
      expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'held', kind: 'http', url: agent.url })).status).toBe(201);
      const transactions = recordTransactions(ctx.database.db);
      const run = await startPlan(ctx.url, {
        steps: [{ id: 'a', agent: 'held' }, { id: 'b', agent: 'held' }, { id: 'c', agent: 'builtin:echo', depends_on: ['a', 'b'] }],
        orchestration: { execution: { concurrency: { maxParallel: 2 } } },
      });
      // Both roots are running (held by the agent) and nothing has finished yet.
      await waitFor(async () => agent.inFlight() === 2, { what: 'both first steps at the agent' });
      // The claim that recorded itself (claimRecorded's `started_runs`): one, without a run scan.
      const claims = transactions.filter((statements) => statements.some((sql) => sql.includes('started_runs as')));
      expect(claims).toHaveLength(1);
      expect(claims[0]!.some((sql) => sql.includes('ordered as materialized'))).toBe(false);
      const { rows: events } = await ctx.database.db.query<{ type: string; step_key: string | null; tx_id: string }>(
        `select type, step_key, tx_id::text as tx_id from orchestration_events where run_id = $1::uuid order by seq`,
        [run.id],
      );
      expect(events.map((e) => `${e.type}${e.step_key ? `:${e.step_key}` : ''}`)).toEqual(['run.created', 'run.started', 'step.started:a', 'step.started:b']);
      // One claim wrote the run's start and both steps' starts, after the creating transaction.
      expect(new Set(events.slice(1).map((e) => e.tx_id)).size).toBe(1);
      expect(events[1]!.tx_id).not.toBe(events[0]!.tx_id);

      agent.release();
      expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
      const { rows: steps } = await ctx.database.db.query<{ lease_token: string }>(
        `select lease_token::text from orchestration_steps where run_id = $1::uuid order by position`,
        [run.id],
      );
      expect(steps.map((s) => s.lease_token)).toEqual(['1', '1', '1']);
    } finally {
      await agent.close();
    }
  });
});

/**
 * What a new run's hand-off leaves is announced to the other instances, as a claim round's
 * leftovers are: an instance woken by the run's creation may have found the run locked by the
 * hand-off and skipped it (two-instances.int-spec.ts once saw the second instance idle for a
 * whole run). One slot here, three roots: the claiming transaction takes one and notifies.
 */
describe.each(testDatabaseKinds())('a new run\'s first steps with too few slots on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_HANDOFF: 'true', BATON_WORKER_CONCURRENCY: '1', BATON_POLL_INTERVAL_MS: '600000' });

  it('are announced to the other instances by the transaction that claimed the rest', async () => {
    const agent = await startGatedAgent();
    try {
      expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'held', kind: 'http', url: agent.url })).status).toBe(201);
      const transactions = recordTransactions(ctx.database.db);
      const run = await startPlan(ctx.url, {
        steps: ['a', 'b', 'c'].map((id) => ({ id, agent: 'held' })),
        orchestration: { execution: { concurrency: { maxParallel: 3 } } },
      });
      await waitFor(async () => agent.inFlight() === 1, { what: 'one first step at the agent' });
      const claims = transactions.filter((statements) => statements.some((sql) => sql.includes('started_runs as')));
      expect(claims).toHaveLength(1);
      expect(claims[0]!.some((sql) => sql.includes('ordered as materialized'))).toBe(false);
      // signalWork's own statement (the claim's statement notifies the event channel, not this one).
      expect(claims[0]!.filter((sql) => /^\s*select pg_notify\(/.test(sql))).toHaveLength(1);

      agent.release();
      expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
    } finally {
      await agent.close();
    }
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
