import { createServer, type Server } from 'node:http';
import { PgDatabase } from '@baton/db';
import { createTestDatabase, type TestDatabase } from '@baton/testing';
import { http, startTestApp, type TestApp } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { auditCompletions, delayPlan, delayStep, independentSteps, sampleRunning } from './support/step-audit.js';
import { countStatements } from './support/statement-counter.js';

/**
 * Two Baton apps sharing one Postgres database, as two replicas would: they split the work,
 * never complete a step twice, share the run, global and agent slots, and wake each other
 * with NOTIFY. The last block checks the run slot on one PGlite instance, which runs anywhere.
 */
const postgres = process.env.TEST_DATABASE_URL;
const describeOnPostgres = postgres ? describe : describe.skip;
if (!postgres) console.warn('two-instances.int-spec: Postgres cases skipped, set TEST_DATABASE_URL to run them');

/** A loopback HTTP agent that sleeps `ms` per call and records how many calls overlapped. */
async function startSlowAgent(ms: number): Promise<{ url: string; maxInFlight: () => number; calls: () => number; close(): Promise<void> }> {
  let inFlight = 0;
  let max = 0;
  let calls = 0;
  const server: Server = createServer((request, response) => {
    inFlight++;
    calls++;
    max = Math.max(max, inFlight);
    request.resume();
    setTimeout(() => {
      inFlight--;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
    }, ms);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/run`,
    maxInFlight: () => max,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The dispatcher's claim scan (`StepLeaseRepository.claimable`). */
const CLAIM_SCAN = /^\s*with busy as/;

describeOnPostgres('two instances on one Postgres (needs TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  let countedA: { readonly count: number };
  let countedB: { readonly count: number };
  /** Only the dispatcher's claim scan: what a claim loop would repeat thousands of times. */
  let claimsA: { readonly count: number };
  let claimsB: { readonly count: number };
  let secondConnection: PgDatabase;
  /** A third pool only for sampling, so the observer never waits behind either app. */
  let observer: PgDatabase;
  let apps: TestApp[] = [];

  const startPair = async (envA: Record<string, string> = {}, envB: Record<string, string> = {}) => {
    const a = await startTestApp(database.db, { BATON_INSTANCE_ID: 'instance-a', ...envA });
    apps.push(a);
    const b = await startTestApp(secondConnection, { BATON_INSTANCE_ID: 'instance-b', ...envB });
    apps.push(b);
    return { a, b };
  };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    secondConnection = new PgDatabase(database.url!, 10);
    countedA = countStatements(database.db);
    countedB = countStatements(secondConnection);
    claimsA = countStatements(database.db, CLAIM_SCAN);
    claimsB = countStatements(secondConnection, CLAIM_SCAN);
    observer = new PgDatabase(database.url!, 2);
  });

  afterEach(async () => {
    for (const app of apps) await app.close();
    apps = [];
  });

  afterAll(async () => {
    await observer?.close();
    await secondConnection?.close();
    await database?.drop();
  });

  it('shares a run submitted to A with B, and completes each of its 100 steps exactly once', async () => {
    // Each instance may run 10 at once, so the run's 20 slots need both of them.
    const { a } = await startPair({ BATON_WORKER_CONCURRENCY: '10' }, { BATON_WORKER_CONCURRENCY: '10' });
    const sampler = sampleRunning(observer);
    const run = await startPlan(a.url, delayPlan(independentSteps(100, 100), 20));
    const done = await waitForRun(a.url, run.id, undefined, 30_000);
    const seen = await sampler.stop();

    expect(done.status).toBe('completed');
    expect([...seen.owners].sort()).toEqual(['instance-a', 'instance-b']);
    expect(seen.maxPerRun).toBeLessThanOrEqual(20);
    expect(seen.maxTotal).toBeGreaterThan(10);
    expect(await auditCompletions(observer, [run.id])).toEqual({
      notCompleted: [],
      notCompletedOnce: [],
      stepRows: 100,
      completionEvents: 100,
    });
    expect(done.steps.filter((s: any) => s.attempt !== 1)).toEqual([]);
  });

  it('never runs more steps than ORCHESTRATION_MAX_CONCURRENCY across both instances', async () => {
    // 2 per instance under a global 3: each alone would fit, together they must not reach 4.
    const env = { ORCHESTRATION_MAX_CONCURRENCY: '3', BATON_WORKER_CONCURRENCY: '2' };
    const { a } = await startPair(env, env);
    const sampler = sampleRunning(observer);
    const run = await startPlan(a.url, delayPlan(independentSteps(30, 80), 10));
    const done = await waitForRun(a.url, run.id, undefined, 30_000);
    const seen = await sampler.stop();

    expect(done.status).toBe('completed');
    expect(seen.maxTotal).toBe(3);
    expect([...seen.owners].sort()).toEqual(['instance-a', 'instance-b']);
    expect((await auditCompletions(observer, [run.id])).notCompletedOnce).toEqual([]);
  });

  it('keeps each run within its maxParallel while both instances claim', async () => {
    const { a, b } = await startPair();
    const sampler = sampleRunning(observer);
    const runs = [
      await startPlan(a.url, delayPlan(independentSteps(12, 60), 2)),
      await startPlan(b.url, delayPlan(independentSteps(12, 60), 2)),
      await startPlan(a.url, delayPlan(independentSteps(12, 60), 2)),
    ];
    for (const run of runs) expect((await waitForRun(a.url, run.id, undefined, 30_000)).status).toBe('completed');
    const seen = await sampler.stop();

    expect(runs.map((run) => seen.perRun.get(run.id))).toEqual([2, 2, 2]);
    expect(seen.maxTotal).toBeLessThanOrEqual(6);
    expect(seen.maxTotal).toBeGreaterThan(2);
    const audit = await auditCompletions(observer, runs.map((r) => r.id));
    expect(audit.notCompletedOnce).toEqual([]);
    expect(audit.completionEvents).toBe(36);
  });

  it('keeps an agent within its maxConcurrency across both instances', async () => {
    const agent = await startSlowAgent(80);
    try {
      const { a, b } = await startPair({ BATON_WORKER_CONCURRENCY: '3' }, { BATON_WORKER_CONCURRENCY: '3' });
      const registered = await http('POST', `${a.url}/api/v1/agents`, { name: 'slow-agent', kind: 'http', url: agent.url, maxConcurrency: 2 });
      expect(registered.status).toBe(201);
      const steps = Array.from({ length: 12 }, (_, i) => ({ id: `call${i}`, agent: 'slow-agent', input: { i } }));
      const sampler = sampleRunning(observer);
      const runs = [
        await startPlan(a.url, { steps, orchestration: { execution: { concurrency: { maxParallel: 10 } } } }),
        await startPlan(b.url, { steps, orchestration: { execution: { concurrency: { maxParallel: 10 } } } }),
      ];
      for (const run of runs) expect((await waitForRun(a.url, run.id, undefined, 30_000)).status).toBe('completed');
      const seen = await sampler.stop();

      expect(agent.calls()).toBe(24);
      expect(agent.maxInFlight()).toBe(2);
      expect(seen.maxTotal).toBeLessThanOrEqual(2);
    } finally {
      await agent.close();
    }
  });

  it('lets B pick up steps that A made runnable while A is full, woken only by NOTIFY', async () => {
    // The safety poll is a minute away on both: only NOTIFY can wake B within the test.
    const quiet = { BATON_POLL_INTERVAL_MS: '60000' };
    const a = await startTestApp(database.db, { ...quiet, BATON_INSTANCE_ID: 'instance-a', BATON_WORKER_CONCURRENCY: '1' });
    apps.push(a);
    const plan = delayPlan(
      [delayStep('gate', 800), delayStep('left', 2500, ['gate']), delayStep('right', 2500, ['gate'])],
      3,
    );
    const run = await startPlan(a.url, plan);
    await waitForRun(a.url, run.id, (r) => stepOf(r, 'gate').status === 'running', 5_000);
    // B starts after A holds the gate, so its start-up sweep finds nothing to claim.
    const b = await startTestApp(secondConnection, { ...quiet, BATON_INSTANCE_ID: 'instance-b' });
    apps.push(b);
    const sampler = sampleRunning(observer);
    const done = await waitForRun(a.url, run.id, undefined, 15_000);
    const seen = await sampler.stop();

    expect(done.status).toBe('completed');
    // A runs one step at a time: the two 2.5 s fan-out steps running at the same time means B
    // ran one (the overlap is a fact of the recorded times, not of how busy the machine was).
    const span = (key: string) => [Date.parse(stepOf(done, key).startedAt), Date.parse(stepOf(done, key).finishedAt)] as const;
    const [leftStart, leftEnd] = span('left');
    const [rightStart, rightEnd] = span('right');
    expect(leftStart).toBeLessThan(rightEnd);
    expect(rightStart).toBeLessThan(leftEnd);
    expect(seen.owners.has('instance-b')).toBe(true);
  });

  it.each([
    ['wait for a run slot', false],
    ['belong to a paused run', true],
  ])('stays quiet while queued steps %s, instead of claiming in a loop', async (_, pause) => {
    const { a } = await startPair();
    // One slot, six 1.5 s steps: five stay queued and due, but unclaimable, for seconds.
    const run = await startPlan(a.url, delayPlan(independentSteps(6, 1_500), 1));
    if (pause) expect((await http('POST', `${a.url}/api/v1/runs/${run.id}/pause`)).status).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const statements = () => countedA.count + countedB.count;
    const claims = () => claimsA.count + claimsB.count;
    const before = { all: statements(), claims: claims() };
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const during = { all: statements() - before.all, claims: claims() - before.claims };
    await http('POST', `${a.url}/api/v1/runs/${run.id}/cancel`);
    // A claim loop re-armed every 5 ms while a due step cannot be claimed makes thousands of
    // claim scans; two instances polling and woken by a step finishing make a handful.
    expect(during.claims).toBeLessThan(40);
    // Everything else is the background sweeps (leases, schedules, waits, messages, nodes,
    // webhooks, doctor), each at most once a second per instance: about 150 in 2.5 s.
    expect(during.all).toBeLessThan(400);
  });
});

describe('one instance on PGlite', () => {
  let database: TestDatabase;
  let countedA: { readonly count: number };
  let countedB: { readonly count: number };
  let app: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    app = await startTestApp(database.db, { BATON_INSTANCE_ID: 'solo' });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('never runs more of a run at once than its maxParallel', async () => {
    const sampler = sampleRunning(database.db);
    const runs = await Promise.all([
      startPlan(app.url, delayPlan(independentSteps(10, 150), 3)),
      startPlan(app.url, delayPlan(independentSteps(10, 150), 2)),
    ]);
    for (const run of runs) expect((await waitForRun(app.url, run.id, undefined, 30_000)).status).toBe('completed');
    const seen = await sampler.stop();

    expect(runs.map((run) => seen.perRun.get(run.id))).toEqual([3, 2]);
    expect(seen.maxTotal).toBeLessThanOrEqual(5);
  });
});
