import { waitFor } from '@baton/testing';
import { type ChildServer } from './support/child-server.js';
import { useChildServers } from './support/child-servers.js';
import { startLedger, sagaStep, type Ledger } from './support/ledger-agent.js';
import { startPlan, waitForRun } from './support/runs.js';
import { http } from './support/test-app.js';
import { auditCompletions, delayPlan, delayStep, eventCounts, runningSteps, type DelayStep } from './support/step-audit.js';

/**
 * A Baton process killed with SIGKILL in the middle of runs: no shutdown hook, leases left
 * behind. A second process on the same database must finish every run, complete every step
 * exactly once, and continue the interrupted steps without spending an attempt. Needs real
 * Postgres: PGlite lives inside one process and cannot be shared with a child.
 */
const postgres = process.env.TEST_DATABASE_URL;
const describeOnPostgres = postgres ? describe : describe.skip;
if (!postgres) console.warn('crash-recovery.int-spec: skipped, set TEST_DATABASE_URL to run it on Postgres');

const RUNS = 5;
const STEPS_PER_RUN = 20;
const LEASE_SECONDS = 2;

/** Deterministic delays in 50–300 ms, different per run and step. */
const delayOf = (run: number, step: number) => 50 + ((run * 37 + step * 71) % 251);

/** One root, a fan-out of 8, a fan-in, then a chain of 10: 20 steps. */
function crashPlan(run: number) {
  const steps: DelayStep[] = [delayStep('root', delayOf(run, 0))];
  const fan = Array.from({ length: 8 }, (_, i) => `fan${i}`);
  fan.forEach((id, i) => steps.push(delayStep(id, delayOf(run, i + 1), ['root'])));
  steps.push(delayStep('join', delayOf(run, 9), fan));
  for (let i = 0; i < 10; i++) steps.push(delayStep(`chain${i}`, delayOf(run, i + 10), [i === 0 ? 'join' : `chain${i - 1}`]));
  return delayPlan(steps, 4);
}

describeOnPostgres('crash recovery: a SIGKILLed process on Postgres (needs TEST_DATABASE_URL)', () => {
  const servers = useChildServers({ BATON_LEASE_SECONDS: String(LEASE_SECONDS), BATON_POLL_INTERVAL_MS: '300', BATON_SEED_EXAMPLES: 'false' });
  const start = servers.start;

  const progress = async (runIds: string[]) => {
    const { rows } = await servers.database.db.query<{ completed: number; running: number }>(
      `select count(*) filter (where status = 'completed')::int as completed,
              count(*) filter (where status = 'running')::int as running
         from orchestration_steps where run_id = any($1::uuid[])`,
      [runIds],
    );
    return rows[0]!;
  };

  /**
   * Waits for `completed` steps and at least 2 running, SIGKILLs the child, and returns the
   * steps its death left running (read once the process is gone and its last commit landed).
   */
  const killWhen = async (child: ChildServer, runIds: string[], completed: number): Promise<string[]> => {
    await waitFor(
      async () => {
        const now = await progress(runIds);
        return now.completed >= completed && now.running >= 2;
      },
      { timeoutMs: 30_000, intervalMs: 10, what: `${completed} completed steps and 2 running` },
    ).catch((error) => {
      throw new Error(`${error.message}\n--- ${child.instanceId} output ---\n${child.logs()}`);
    });
    await child.kill();
    // A COMMIT the dead process had already sent still lands; give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 250));
    return runningSteps(servers.database.db, runIds);
  };

  it('finishes every run after two kills, each step completed once and recovered steps on their first attempt', async () => {
    const first = await start('crash-1');
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) runIds.push((await startPlan(first.url, crashPlan(i))).id);
    const total = RUNS * STEPS_PER_RUN;

    const orphansAtFirstKill = await killWhen(first, runIds, Math.floor(total * 0.2));
    const afterFirstKill = await progress(runIds);
    const second = await start('crash-2');
    const orphansAtSecondKill = await killWhen(second, runIds, Math.floor(total * 0.6));
    const afterSecondKill = await progress(runIds);
    const last = await start('crash-3');

    for (const id of runIds) {
      const run = await waitForRun(last.url, id, undefined, 60_000);
      expect({ id, status: run.status, progress: run.progress }).toEqual({
        id,
        status: 'completed',
        progress: { done: STEPS_PER_RUN, total: STEPS_PER_RUN, percent: 100, current: [] },
      });
    }

    // Both kills caught work in flight, and the later processes made progress of their own.
    expect(orphansAtFirstKill.length).toBeGreaterThanOrEqual(2);
    expect(orphansAtSecondKill.length).toBeGreaterThanOrEqual(2);
    expect(afterSecondKill.completed).toBeGreaterThan(afterFirstKill.completed);

    const audit = await auditCompletions(servers.database.db, runIds);
    expect(audit).toEqual({ notCompleted: [], notCompletedOnce: [], stepRows: total, completionEvents: total });

    // Every step the kills left running came back through recovery, not through a retry.
    const { rows: recovered } = await servers.database.db.query<{ step: string }>(
      `select distinct run_id || '/' || step_key as step from orchestration_events
        where run_id = any($1::uuid[]) and type = 'step.recovered'`,
      [runIds],
    );
    const recoveredSteps = new Set(recovered.map((r) => r.step));
    const orphans = [...orphansAtFirstKill, ...orphansAtSecondKill];
    expect(orphans.filter((step) => !recoveredSteps.has(step))).toEqual([]);

    const { rows: attempts } = await servers.database.db.query<{ step: string; attempt: number; lease_recoveries: number }>(
      `select run_id || '/' || step_key as step, attempt, lease_recoveries from orchestration_steps
        where run_id = any($1::uuid[])`,
      [runIds],
    );
    expect(attempts.filter((r) => r.attempt !== 1)).toEqual([]);
    for (const orphan of orphans) {
      expect(attempts.find((r) => r.step === orphan)?.lease_recoveries).toBeGreaterThanOrEqual(1);
    }

    const counts = await eventCounts(servers.database.db, runIds);
    expect(counts['step.failed']).toBeUndefined();
    expect(counts['step.retrying']).toBeUndefined();
    expect(counts['step.completed']).toBe(total);
    expect(counts['run.completed']).toBe(RUNS);
    // A recovered step starts again: one start per step plus one per recovery.
    expect(counts['step.started']).toBe(total + (counts['step.recovered'] ?? 0));

    const { rows: startedAttempts } = await servers.database.db.query<{ attempt: number }>(
      `select distinct (data->>'attempt')::int as attempt from orchestration_events
        where run_id = any($1::uuid[]) and type = 'step.started'`,
      [runIds],
    );
    expect(startedAttempts).toEqual([{ attempt: 1 }]);
  }, 180_000);

});

/** Saga compensation (issue 12): the same kill, with a compensation call in flight. Its own database and processes, the same build. */
describeOnPostgres('crash recovery of a saga rollback on Postgres (needs TEST_DATABASE_URL)', () => {
  const servers = useChildServers({ BATON_LEASE_SECONDS: String(LEASE_SECONDS), BATON_POLL_INTERVAL_MS: '300', BATON_SEED_EXAMPLES: 'false' });
  const start = servers.start;
  const ledgers: Ledger[] = [];
  afterAll(async () => {
    for (const ledger of ledgers) await ledger.close();
  });

  it('resumes a rollback cut by a SIGKILL mid-compensation in another process; every compensation completes once and the run ends failed, compensation completed', async () => {
    const ledger = await startLedger();
    ledgers.push(ledger);
    const first = await start('saga-1');
    expect((await http('POST', `${first.url}/api/v1/agents`, { kind: 'http', name: 'ledger', url: ledger.url })).status).toBeLessThan(300);
    const run = await startPlan(first.url, {
      orchestration: { error_handling: { rollback: { on_failure: 'compensate' } } },
      steps: [sagaStep('a', []), sagaStep('b', ['a']), sagaStep('c', ['b']), sagaStep('d', ['c'])],
    });
    await ledger.held;
    await first.kill();

    const second = await start('saga-2');
    const done = await waitForRun(second.url, run.id, undefined, 60_000);
    expect(done).toMatchObject({ status: 'failed', compensation: 'completed', error: { stepKey: 'd' } });

    // The agent saw c's undo twice (the call the kill cut, then the resumed one) and answered
    // each undo once, in reverse dependency order.
    expect(ledger.received.filter((call) => call === 'undo:c')).toHaveLength(2);
    expect(ledger.answered).toEqual(['do:a', 'do:b', 'do:c', 'undo:c', 'undo:b', 'undo:a']);

    const db = servers.database.db;
    const { rows } = await db.query<{ step_key: string; status: string; attempt: number; lease_owner: string | null }>(
      'select step_key, status, attempt, lease_owner from orchestration_compensations where run_id = $1::uuid order by step_key',
      [run.id],
    );
    // The crash spent no attempt: c completed on its first, in the second process.
    expect(rows).toEqual(['a', 'b', 'c'].map((step_key) => ({ step_key, status: 'completed', attempt: 1, lease_owner: null })));
    const { rows: events } = await db.query<{ type: string; step_key: string | null }>(
      `select type, step_key from orchestration_events
        where run_id = $1::uuid and (type like 'step.compensat%' or type like 'run.%') order by seq`,
      [run.id],
    );
    const compensated = events.filter((e) => e.type === 'step.compensated').map((e) => e.step_key);
    expect(compensated).toEqual(['c', 'b', 'a']);
    expect(events.filter((e) => e.type === 'step.compensating' && e.step_key === 'c')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'step.compensation_failed')).toEqual([]);
    expect(events.filter((e) => e.type.startsWith('run.')).map((e) => e.type)).toEqual(['run.created', 'run.started', 'run.compensating', 'run.failed']);
  }, 180_000);
});
