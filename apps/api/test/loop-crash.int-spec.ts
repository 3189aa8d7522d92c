import { waitFor } from '@baton/testing';
import { useChildServers } from './support/child-servers.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

/**
 * A process SIGKILLed while looping steps are between and inside iterations. A second
 * process must finish every loop with each iteration recorded exactly once, in order, with
 * one `step.iteration_completed` event each: an iteration's record and the queuing of the
 * next one commit together. Needs real Postgres (a child process shares the database).
 */
const postgres = process.env.TEST_DATABASE_URL;
const describeOnPostgres = postgres ? describe : describe.skip;
if (!postgres) console.warn('loop-crash.int-spec: skipped, set TEST_DATABASE_URL to run it on Postgres');

const RUNS = 4;
const ITERATIONS = 8;

/** One looping step per run: each iteration sleeps, then `until` holds at ITERATIONS. */
const loopPlan = (ms: number) => ({
  orchestration: { execution: { concurrency: { maxParallel: 2 } } },
  steps: [
    {
      id: 'tick',
      agent: 'builtin:delay',
      input: { ms, output: { round: '{{ iteration }}' } },
      loop: { until: `iteration >= ${ITERATIONS}`, max_iterations: ITERATIONS + 2 },
    },
  ],
});

describeOnPostgres('loops survive a SIGKILL on Postgres (needs TEST_DATABASE_URL)', () => {
  const servers = useChildServers({ BATON_LEASE_SECONDS: '2', BATON_POLL_INTERVAL_MS: '300', BATON_SEED_EXAMPLES: 'false' });
  const start = servers.start;

  it('records every iteration exactly once after a kill mid-loop', async () => {
    const first = await start('loop-crash-1');
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) runIds.push((await startPlan(first.url, loopPlan(120 + i * 30))).id);

    // Kill once some iterations are recorded and loops are still running.
    await waitFor(
      async () => {
        const { rows } = await servers.database.db.query<{ n: number; running: number }>(
          `select (select count(*) from orchestration_step_iterations where run_id = any($1::uuid[]))::int as n,
                  (select count(*) from orchestration_steps where run_id = any($1::uuid[]) and status = 'running')::int as running`,
          [runIds],
        );
        return rows[0]!.n >= RUNS && rows[0]!.running >= 1;
      },
      { timeoutMs: 30_000, intervalMs: 10, what: 'iterations recorded and a loop running' },
    ).catch((error) => {
      throw new Error(`${error.message}\n--- output ---\n${first.logs()}`);
    });
    await first.kill();
    const { rows: atKill } = await servers.database.db.query<{ n: number }>(
      'select count(*)::int as n from orchestration_step_iterations where run_id = any($1::uuid[])',
      [runIds],
    );
    expect(atKill[0]!.n).toBeLessThan(RUNS * ITERATIONS);

    const second = await start('loop-crash-2');
    for (const id of runIds) {
      const run = await waitForRun(second.url, id, undefined, 60_000);
      expect({ id, status: run.status }).toEqual({ id, status: 'completed' });
      const tick = stepOf(run, 'tick');
      expect(tick.iteration).toBe(ITERATIONS);
      expect(tick.iterations.map((it: any) => [it.iteration, it.output.round])).toEqual(
        Array.from({ length: ITERATIONS }, (_, i) => [i + 1, i + 1]),
      );
    }
    const { rows: events } = await servers.database.db.query<{ run_id: string; iteration: number; n: number }>(
      `select run_id, (data->>'iteration')::int as iteration, count(*)::int as n from orchestration_events
        where run_id = any($1::uuid[]) and type = 'step.iteration_completed' group by 1, 2`,
      [runIds],
    );
    expect(events).toHaveLength(RUNS * ITERATIONS);
    expect(events.filter((e) => e.n !== 1)).toEqual([]);
    const { rows: completed } = await servers.database.db.query<{ n: number }>(
      `select count(*)::int as n from orchestration_events where run_id = any($1::uuid[]) and type = 'step.completed'`,
      [runIds],
    );
    expect(completed[0]!.n).toBe(RUNS);
  }, 180_000);
});
