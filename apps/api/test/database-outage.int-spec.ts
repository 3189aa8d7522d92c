import { PgDatabase } from '@baton/db';
import { waitFor, expectWithinBound, since } from '@baton/testing';
import { buildServer, spawnServer, type ChildServer } from './support/child-server.js';
import { postgresBinDir, startOwnPostgres, type OwnPostgres } from './support/own-postgres.js';
import { startPlan, waitForRun } from './support/runs.js';
import { auditCompletions, delayPlan, delayStep, eventCounts } from './support/step-audit.js';

/**
 * Baton (a real child process) on a Postgres server this test owns, restarted under it with
 * runs in flight: `restart -m fast`, `restart -m immediate`, and a 30 s stop. The process
 * must stay up, finish every run, complete every step once, keep its leases (no step is
 * "recovered" as if its worker had died), and answer /ready 503 during the outage, 200 after.
 * Runs with the Postgres suite (TEST_DATABASE_URL), and needs the Postgres binaries.
 */
const enabled = !!process.env.TEST_DATABASE_URL && !!postgresBinDir();
const describeIfPostgres = enabled ? describe : describe.skip;
if (!enabled) console.warn('database-outage.int-spec: skipped, needs TEST_DATABASE_URL and pg_config/initdb/pg_ctl');

const RUNS = 4;
/** Shorter than the 30 s stop, so the leases run out during it and must be renewed, not recovered. */
const LEASE_SECONDS = 10;
const STOP_MS = 30_000;
const SHUTDOWN_GRACE_MS = 3_000;

/** Steps in the busy chain of each run: short ones, so transactions are in flight at any moment. */
const CHAIN = 60;

/**
 * A root, three parallel steps and a join, long enough to straddle a restart; beside them a
 * chain of short steps that keeps claims and completions going while the server goes down.
 */
function outagePlan() {
  const fan = ['f1', 'f2', 'f3'];
  const chain = Array.from({ length: CHAIN }, (_, i) => delayStep(`c${i}`, 40, i === 0 ? [] : [`c${i - 1}`]));
  return delayPlan([delayStep('root', 1200), ...fan.map((id) => delayStep(id, 1500, ['root'])), delayStep('join', 300, fan), ...chain], 4);
}
const STEPS_PER_RUN = 5 + CHAIN;

/** Polls /ready every 25 ms and keeps what it saw, in order. */
function watchReady(url: string) {
  const seen: Array<number | 'error'> = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) });
        seen.push(response.status);
      } catch {
        seen.push('error');
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await loop;
      return seen;
    },
  };
}

describeIfPostgres('the process outlives its database (own Postgres server, restarted)', () => {
  let server: OwnPostgres;
  let baton: ChildServer;
  /** The test's own view of the database; it lives through the restarts as Baton must. */
  let db: PgDatabase;

  beforeAll(async () => {
    buildServer();
    server = await startOwnPostgres();
    db = new PgDatabase(server.url, 2);
    baton = await spawnServer({
      DATABASE_URL: server.url,
      BATON_INSTANCE_ID: 'outage-1',
      BATON_LEASE_SECONDS: String(LEASE_SECONDS),
      BATON_POLL_INTERVAL_MS: '500',
      BATON_SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
    });
  }, 180_000);

  afterAll(async () => {
    await baton?.stop(10_000);
    await db?.close();
    await server?.destroy();
  }, 60_000);

  const running = async (runIds: string[]) => {
    const { rows } = await db.query<{ n: number; latest: Date | null }>(
      `select count(*)::int as n, max(lease_expires_at) as latest from orchestration_steps
        where run_id = any($1::uuid[]) and status = 'running'`,
      [runIds],
    );
    return rows[0]!;
  };

  /** Starts runs, waits until steps are running, applies `outage`, and checks everything after. */
  const survive = async (outage: () => Promise<void>) => {
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) runIds.push((await startPlan(baton.url, outagePlan())).id);
    await waitFor(async () => (await running(runIds)).n >= 2, { timeoutMs: 15_000, what: 'steps running' });
    const before = await running(runIds);

    const ready = watchReady(baton.url);
    const outageStarted = new Date();
    await outage();
    await waitFor(async () => (await fetch(`${baton.url}/ready`)).status === 200, { timeoutMs: 20_000, intervalMs: 50, what: '/ready 200' }).catch(
      (error) => {
        throw new Error(`${error.message} (Baton exit code ${baton.process.exitCode})\n--- Baton output ---\n${baton.logs().slice(-4_000)}`);
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const seen = await ready.stop();
    // Issue 16: the automatic degraded mode ends with the outage.
    await waitFor(async () => ((await (await fetch(`${baton.url}/health`)).json()) as { mode: string }).mode === 'normal', {
      timeoutMs: 10_000,
      what: 'mode normal again',
    });

    for (const id of runIds) {
      const run = await waitForRun(baton.url, id, undefined, 30_000);
      expect({ id, status: run.status }).toEqual({ id, status: 'completed' });
    }
    expect(baton.process.exitCode).toBeNull();
    expect(baton.logs()).not.toMatch(/Unhandled 'error' event|unhandledRejection/);
    // Baton saw the outage and its end: the connection state changed after the outage began
    // and is connected now. (A restart can be shorter than a loaded machine takes to serve
    // one /ready, so only the 30 s stop is sure to be sampled while away; it checks the 503.)
    const answer = (await (await fetch(`${baton.url}/ready`)).json()) as { connection: { state: string; since: string } };
    expect(answer.connection.state).toBe('connected');
    expect(Date.parse(answer.connection.since)).toBeGreaterThan(outageStarted.getTime());
    expect(seen.at(-1)).toBe(200);

    const total = RUNS * STEPS_PER_RUN;
    const audit = await auditCompletions(db, runIds);
    expect(audit).toEqual({ notCompleted: [], notCompletedOnce: [], stepRows: total, completionEvents: total });
    // The steps in flight kept their leases: none was recovered or started again, no attempt spent.
    const counts = await eventCounts(db, runIds);
    expect(counts['step.recovered']).toBeUndefined();
    expect(counts['step.retrying']).toBeUndefined();
    expect(counts['step.started']).toBe(total);
    const { rows } = await db.query<{ recoveries: number; attempts: number }>(
      `select sum(lease_recoveries)::int as recoveries, max(attempt)::int as attempts from orchestration_steps where run_id = any($1::uuid[])`,
      [runIds],
    );
    expect(rows[0]).toEqual({ recoveries: 0, attempts: 1 });
    return { before, seen };
  };

  it('survives pg_ctl restart -m fast with runs in flight', async () => {
    await survive(() => server.restart('fast'));
  }, 60_000);

  it('survives pg_ctl restart -m immediate with runs in flight', async () => {
    await survive(() => server.restart('immediate'));
  }, 60_000);

  it('survives a 30 s stop longer than the lease: leases are renewed, not recovered', async () => {
    let downAt = 0;
    const { before, seen } = await survive(async () => {
      await server.stop('fast');
      downAt = Date.now();
      // Issue 16: the instance makes itself degraded (read-only) while the database is away.
      await waitFor(async () => ((await (await fetch(`${baton.url}/health`)).json()) as { mode: string }).mode === 'degraded', {
        timeoutMs: 10_000,
        what: 'automatic degraded mode',
      });
      await new Promise((resolve) => setTimeout(resolve, STOP_MS - (Date.now() - downAt)));
      await server.start();
    });
    // 503 while the database was away, and 200 once it was back.
    expect(seen).toContain(503);
    // The leases of the steps in flight had run out by the time the database came back,
    // so a sweep would have taken them for orphans had they not been renewed first.
    expect(Date.now() - downAt).toBeGreaterThan(LEASE_SECONDS * 1000);
    const { rows } = await db.query<{ now: Date }>('select now() as now');
    expect(rows[0]!.now.getTime()).toBeGreaterThan(before.latest!.getTime());
  }, 90_000);

  it('exits within BATON_SHUTDOWN_GRACE_MS of SIGTERM with a step in flight, handing it back', async () => {
    const run = await startPlan(baton.url, delayPlan([delayStep('long', 60_000)], 1));
    await waitFor(async () => (await running([run.id])).n === 1, { timeoutMs: 15_000, what: 'the long step running' });
    const signalled = Date.now();
    await baton.stop(20_000);
    expectWithinBound('exit after SIGTERM (grace period plus exit)', since(signalled), SHUTDOWN_GRACE_MS + 3_000);
    const { rows } = await db.query<{ status: string; lease_owner: string | null }>(
      `select status, lease_owner from orchestration_steps where run_id = $1::uuid`,
      [run.id],
    );
    expect(rows).toEqual([{ status: 'queued', lease_owner: null }]);
  }, 30_000);
});
