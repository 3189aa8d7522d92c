import { runCli } from '../../cli/src/cli.js';
import { useChildServers } from './support/child-servers.js';
import { http } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

/**
 * Issue 16: `baton drain` against a real server process with work in flight, then a clean
 * resume by starting it again. Needs Postgres: PGlite cannot be shared with a child process.
 */
const postgres = process.env.TEST_DATABASE_URL;
const describeOnPostgres = postgres ? describe : describe.skip;
if (!postgres) console.warn('drain.int-spec: skipped, set TEST_DATABASE_URL to run it on Postgres');

describeOnPostgres('drain and resume (needs TEST_DATABASE_URL)', () => {
  const servers = useChildServers({ BATON_POLL_INTERVAL_MS: '300' });
  const start = servers.start;

  it('waits for the running step, stops the process, records where the run stopped, and resumes on the next start', async () => {
    const first = await start('drained');
    const run = await startPlan(first.url, {
      steps: [
        { id: 'a', agent: 'builtin:delay', input: { ms: 1500 } },
        { id: 'b', agent: 'builtin:echo', depends_on: ['a'] },
      ],
    });
    await waitForRun(first.url, run.id, (r) => stepOf(r, 'a').status === 'running');
    const out: string[] = [];
    const err: string[] = [];
    const exit = await runCli(['drain', '--reason', 'end of day', '--timeout', '30'], { BATON_URL: first.url }, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    expect({ exit, out, err }).toMatchObject({ exit: 0, out: [expect.stringContaining('drained')] });
    await new Promise<void>((resolve) => (first.process.exitCode !== null || first.process.signalCode !== null ? resolve() : first.process.once('exit', () => resolve())));

    // The in-flight step finished; its successor was never dispatched.
    const steps = await servers.database.db.query<{ step_key: string; status: string }>(
      `select step_key, status from orchestration_steps where run_id = $1::uuid order by position`,
      [run.id],
    );
    expect(steps.rows).toEqual([{ step_key: 'a', status: 'completed' }, { step_key: 'b', status: 'queued' }]);
    const drained = await servers.database.db.query<{ data: any }>(`select data from baton_system_events where type = 'system.drained'`);
    expect(drained.rows).toHaveLength(1);
    expect(drained.rows[0]!.data.openRuns).toEqual([{ runId: run.id, status: 'running', openSteps: ['b:queued'] }]);
    expect((await servers.database.db.query(`select mode from baton_system_state`)).rows[0]).toEqual({ mode: 'draining' });

    // `npm start` again: normal mode, and the run finishes with each step completed once.
    const second = await start('resumed');
    expect((await http('GET', `${second.url}/health`)).body.mode).toBe('normal');
    expect((await waitForRun(second.url, run.id)).status).toBe('completed');
    const completions = await servers.database.db.query<{ n: number }>(
      `select count(*)::int as n from orchestration_events where run_id = $1::uuid and type = 'step.completed'`,
      [run.id],
    );
    expect(completions.rows[0]!.n).toBe(2);
  }, 60_000);
});
