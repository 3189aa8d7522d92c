import { createTestDatabase, waitFor, type TestDatabase } from '@baton/testing';
import { buildServer, spawnServer, type ChildServer } from './support/child-server.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { startTeamAgents, type TeamAgents } from './support/team-agents.js';

/**
 * A Baton process SIGKILLed in the middle of a supervisor run: the next process replays the
 * completed turns from the database and calls only the turn that was cut short again. The
 * agents count their calls. Needs real Postgres: PGlite cannot be shared with a child process.
 */
const postgres = process.env.TEST_DATABASE_URL;
const describeOnPostgres = postgres ? describe : describe.skip;
if (!postgres) console.warn('pattern-crash.int-spec: skipped, set TEST_DATABASE_URL to run it on Postgres');

describeOnPostgres('pattern crash recovery on Postgres (needs TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  let agents: TeamAgents;
  const children: ChildServer[] = [];
  let releaseHungCall: () => void = () => undefined;

  const start = async (name: string) => {
    const child = await spawnServer({ DATABASE_URL: database.url!, BATON_INSTANCE_ID: name, BATON_LEASE_SECONDS: '2', BATON_POLL_INTERVAL_MS: '300' });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    buildServer();
    database = await createTestDatabase('postgres');
    agents = await startTeamAgents({
      boss: (input) => {
        const done = input.history.map((h: any) => h.agent);
        for (const worker of ['researcher', 'writer', 'editor']) if (!done.includes(worker)) return { next: worker, input: { after: done } };
        return { next: 'FINISH', output: { parts: input.history.map((h: any) => h.output) } };
      },
      researcher: () => ({ notes: 'tides' }),
      // The first call hangs until the process that made it is dead; the repeat answers.
      writer: (_input, call) => (call === 0 ? new Promise((resolve) => (releaseHungCall = () => resolve({ late: true }))) : { draft: 'written' }),
      editor: () => ({ edited: true }),
    });
  }, 180_000);

  afterAll(async () => {
    releaseHungCall();
    for (const child of children) await child.kill();
    await agents?.close();
    await database?.drop();
  });

  it('finishes after a SIGKILL mid-run, calling every completed turn exactly once', async () => {
    const first = await start('pattern-crash-1');
    await agents.register(first.url, 'crash-');
    const names = ['boss', 'researcher', 'writer', 'editor'];
    const run = await startPlan(first.url, {
      steps: [{ id: 'team', type: 'pattern', pattern: 'supervisor', max_turns: 10, agents: names.map((name) => ({ name, agent: `crash-${name}` })) }],
    });
    await waitFor(async () => agents.calls.writer!.length === 1, { timeoutMs: 30_000, intervalMs: 20, what: 'the writer call in flight' });
    await first.kill();

    const second = await start('pattern-crash-2');
    const done = await waitForRun(second.url, run.id, undefined, 60_000);
    expect(done.status).toBe('completed');
    expect(done.output.team).toEqual({ parts: [{ notes: 'tides' }, { draft: 'written' }, { edited: true }] });

    const turns = stepOf(done, 'team').turns;
    expect(turns.map((t: any) => [t.turn, t.agent, t.status, t.attempt])).toEqual([
      [1, 'boss', 'completed', 1],
      [2, 'researcher', 'completed', 1],
      [3, 'boss', 'completed', 1],
      [4, 'writer', 'completed', 2], // cut short by the kill, started again
      [5, 'boss', 'completed', 1],
      [6, 'editor', 'completed', 1],
      [7, 'boss', 'completed', 1],
    ]);
    // One call per boss turn and one per worker turn; only the interrupted turn was repeated.
    expect({ boss: agents.calls.boss!.length, researcher: agents.calls.researcher!.length, writer: agents.calls.writer!.length, editor: agents.calls.editor!.length })
      .toEqual({ boss: 4, researcher: 1, writer: 2, editor: 1 });

    const { rows } = await database.db.query<{ type: string; n: number }>(
      `select type, count(*)::int as n from orchestration_events where run_id = $1::uuid group by type`, [run.id]);
    const counts = Object.fromEntries(rows.map((r) => [r.type, r.n]));
    expect(counts).toMatchObject({ 'step.turn_completed': 7, 'step.turn_started': 8, 'step.recovered': 1, 'step.completed': 1 });
    expect(stepOf(done, 'team')).toMatchObject({ status: 'completed', attempt: 1 });
  }, 120_000);
});
