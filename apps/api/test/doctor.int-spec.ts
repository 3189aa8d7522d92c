import { randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CLOSE_ON_RUN_END } from '@baton/approvals';
import { EVENT_WAIT_MATCHED, EventWaitService, type EventWaitSignal } from '@baton/messaging';
import { SchedulerClock, SchedulerTimerService } from '@baton/scheduler';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

/**
 * Issue 16: the doctor. Each stuck state is made by corrupting a real database on purpose
 * (a finished run put back into the state a crash or a bug would leave), then detected by
 * `GET /api/v1/doctor` and repaired by `POST /api/v1/doctor/fix` (also served under
 * `/api/v1/system/doctor`).
 * The poll is slow so that no sweep repairs anything behind the doctor's back.
 */
describe.each(testDatabaseKinds())('doctor on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '60000', BATON_DOCTOR_STUCK_SECONDS: '0', BATON_DOCTOR_INTERVAL_MS: '0' });
  const sql = (text: string, params: unknown[] = []) => ctx.database.db.query<any>(text, params);

  /** A finished two-step run (a → b): ids of the run and of step b. */
  async function finishedRun(): Promise<{ runId: string; stepB: string }> {
    const run = await startPlan(ctx.url, { steps: [{ id: 'a', agent: 'builtin:echo' }, { id: 'b', agent: 'builtin:echo', depends_on: ['a'] }] });
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
    // The durable consumer that closes a finished run's approvals must be past this run's end
    // (its position, `tx_id.id`, at or after the run's last event), or it would close the
    // approval a test plants next, before the doctor could.
    const end = (await sql(`select tx_id::text as tx, id::text as id from orchestration_events where run_id = $1::uuid order by seq desc limit 1`, [run.id])).rows[0];
    await waitFor(
      async () => {
        const position: string | undefined = (await sql(`select position from event_consumer_cursors where name = $1::text`, [CLOSE_ON_RUN_END])).rows[0]?.position;
        if (!position) return false;
        const [tx, id] = position.split('.').map(BigInt);
        return tx! > BigInt(end.tx) || (tx === BigInt(end.tx) && id! >= BigInt(end.id));
      },
      { timeoutMs: 20_000, what: 'the approvals consumer past the run end' },
    );
    const { rows } = await sql(`select id from orchestration_steps where run_id = $1::uuid and step_key = 'b'`, [run.id]);
    return { runId: run.id, stepB: rows[0].id };
  }

  /** Puts the run back to running with b not done. */
  async function reopen(runId: string, stepB: string, stepSet: string, params: unknown[] = []) {
    await sql(`update orchestration_runs set status = 'running', steps_done = 1, finished_at = null, output = null where id = $1::uuid`, [runId]);
    await sql(`update orchestration_steps set ${stepSet}, output = null, finished_at = null where id = $1::uuid`, [stepB, ...params]);
  }

  async function findingsFor(runId: string) {
    const report = await http('GET', `${ctx.url}/api/v1/doctor`);
    expect(report.status).toBe(200);
    return (report.body.findings as any[]).filter((f) => f.runId === runId || f.scheduleId === runId);
  }

  async function fix(runId: string) {
    const fixed = await http('POST', `${ctx.url}/api/v1/doctor/fix`);
    expect(fixed.status).toBe(200);
    return (fixed.body.repairs as any[]).filter((r) => r.runId === runId || r.scheduleId === runId);
  }

  /** The run's logged transitions of one event type: every one names the status left and entered. */
  async function transitionsOf(runId: string, type: string) {
    const { rows } = await sql(`select step_key, data from orchestration_events where run_id = $1::uuid and type = $2::text order by seq`, [runId, type]);
    return rows.map((r: any) => ({ stepKey: r.step_key, from: r.data.from, to: r.data.to }));
  }

  const setMode = (mode: string) => http('POST', `${ctx.url}/api/v1/system/mode`, { mode, reason: 'doctor test' });

  it('finds nothing on a healthy database, at /api/v1/doctor and its old address', async () => {
    await finishedRun();
    expect((await http('GET', `${ctx.url}/api/v1/doctor`)).body.findings).toEqual([]);
    const alias = await http('GET', `${ctx.url}/api/v1/system/doctor`);
    expect(alias.status).toBe(200);
    expect(alias.body.findings).toEqual([]);
  });

  it('hands back a step whose lease expired long ago, and the run finishes', async () => {
    const { runId, stepB } = await finishedRun();
    await reopen(runId, stepB, `status = 'running', lease_owner = 'gone-instance', lease_expires_at = now() - interval '10 minutes', lease_token = lease_token + 1`);
    const [finding] = await findingsFor(runId);
    expect(finding).toMatchObject({ kind: 'expired_lease', stepId: stepB, stepKey: 'b' });
    expect(finding.explanation).toContain('gone-instance');
    expect(await fix(runId)).toEqual([expect.objectContaining({ kind: 'expired_lease', outcome: 'fixed' })]);
    expect((await waitForRun(ctx.url, runId)).status).toBe('completed');
    const events = await sql(`select data from baton_system_events where type = 'doctor.repaired' and data->>'runId' = $1`, [runId]);
    expect(events.rows.map((r: any) => r.data)).toEqual([expect.objectContaining({ kind: 'expired_lease', outcome: 'fixed', by: 'anonymous' })]);
    // The repair is the step's `recover` move, logged in the run's history as the sweep would.
    expect(await transitionsOf(runId, 'step.recovered')).toEqual([{ stepKey: 'b', from: 'running', to: 'queued' }]);
  });

  it('wakes the claimers for a due queued step nobody claimed while slots are free', async () => {
    const { runId, stepB } = await finishedRun();
    await reopen(runId, stepB, `status = 'queued', available_at = now() - interval '10 minutes', queued_at = now() - interval '10 minutes'`);
    expect(await findingsFor(runId)).toEqual([expect.objectContaining({ kind: 'unclaimed_queued_step', stepKey: 'b' })]);
    await fix(runId);
    expect((await waitForRun(ctx.url, runId)).status).toBe('completed');
    expect(await findingsFor(runId)).toEqual([]);
  });

  it('fails a run left running with no open step', async () => {
    const { runId } = await finishedRun();
    await sql(`update orchestration_runs set status = 'running', steps_done = 1, finished_at = null where id = $1::uuid`, [runId]);
    expect(await findingsFor(runId)).toEqual([expect.objectContaining({ kind: 'run_without_open_steps', stepId: null })]);
    expect(await fix(runId)).toEqual([expect.objectContaining({ outcome: 'fixed' })]);
    const run = (await http('GET', `${ctx.url}/api/v1/runs/${runId}`)).body;
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'stuck' });
    expect(await transitionsOf(runId, 'run.failed')).toEqual([{ stepKey: null, from: 'running', to: 'failed' }]);
  });

  it('wakes a step waiting on an approval that is already decided, and one waiting on a finished child', async () => {
    const approval = await finishedRun();
    await reopen(approval.runId, approval.stepB, `status = 'waiting'`);
    await sql(
      `insert into human_approvals (run_id, step_id, step_key, attempt, status, decision, decided_at)
       select run_id, id, step_key, attempt, 'approved', 'approve', now() from orchestration_steps where id = $1::uuid`,
      [approval.stepB],
    );
    const child = await finishedRun();
    const parent = await finishedRun();
    await reopen(parent.runId, parent.stepB, `status = 'waiting', child_run_id = $2::uuid`, [child.runId]);

    expect(await findingsFor(approval.runId)).toEqual([expect.objectContaining({ kind: 'waiting_on_closed_approval', stepKey: 'b' })]);
    expect(await findingsFor(parent.runId)).toEqual([expect.objectContaining({ kind: 'waiting_on_finished_child', stepKey: 'b' })]);
    // Safe mode: the woken steps stay queued where the test can see them.
    await setMode('safe');
    try {
      await fix(approval.runId);
      const steps = await sql(`select id, status, wake_reason from orchestration_steps where id = any($1::uuid[]) order by id`, [[approval.stepB, parent.stepB]]);
      expect(Object.fromEntries(steps.rows.map((r: any) => [r.id, `${r.status}:${r.wake_reason}`]))).toEqual({
        [approval.stepB]: 'queued:approval_decided',
        [parent.stepB]: 'queued:child_finished',
      });
      for (const runId of [approval.runId, parent.runId]) expect((await http('POST', `${ctx.url}/api/v1/runs/${runId}/cancel`)).status).toBe(200);
    } finally {
      await setMode('normal');
    }
  });

  it('frees the slot of a step still running in a finished run', async () => {
    const { runId, stepB } = await finishedRun();
    await sql(`update orchestration_steps set status = 'running', lease_owner = 'gone-instance', lease_expires_at = now() + interval '1 hour', finished_at = null where id = $1::uuid`, [stepB]);
    expect(await findingsFor(runId)).toEqual([expect.objectContaining({ kind: 'leaked_slot', stepKey: 'b' })]);
    const metrics = await http('GET', `${ctx.url}/metrics`);
    expect(metrics.body).toContain('baton_doctor_findings{kind="leaked_slot"} 1');
    await fix(runId);
    expect((await sql(`select status from orchestration_steps where id = $1::uuid`, [stepB])).rows[0].status).toBe('cancelled');
    expect((await http('GET', `${ctx.url}/api/v1/runs/${runId}`)).body.status).toBe('completed');
    expect(await transitionsOf(runId, 'step.cancelled')).toEqual([{ stepKey: 'b', from: 'running', to: 'cancelled' }]);
  });

  it('cancels an approval left pending in a finished run', async () => {
    const { runId, stepB } = await finishedRun();
    const { rows } = await sql(
      `insert into human_approvals (run_id, step_id, step_key, attempt, status)
       select run_id, id, step_key, attempt, 'pending' from orchestration_steps where id = $1::uuid returning id`,
      [stepB],
    );
    expect(await findingsFor(runId)).toEqual([expect.objectContaining({ kind: 'open_approval_of_finished_run', approvalId: rows[0].id, stepId: stepB, stepKey: 'b' })]);
    expect(await fix(runId)).toEqual([expect.objectContaining({ kind: 'open_approval_of_finished_run', outcome: 'fixed' })]);
    expect((await sql(`select status from human_approvals where id = $1::uuid`, [rows[0].id])).rows[0].status).toBe('cancelled');
    expect(await findingsFor(runId)).toEqual([]);
  });

  it('cancels a child run whose parent finished', async () => {
    const parent = await finishedRun();
    const child = await finishedRun();
    // Stranded as a crash between the parent's end and its children's cancel would leave it.
    await sql(`update orchestration_runs set status = 'paused', parent_run_id = $2::uuid, finished_at = null where id = $1::uuid`, [child.runId, parent.runId]);
    const [finding] = await findingsFor(child.runId);
    expect(finding).toMatchObject({ kind: 'child_of_finished_parent', parentRunId: parent.runId });
    expect(finding.explanation).toBe(`child run is paused, but its parent run ${parent.runId} is completed`);
    expect(await fix(child.runId)).toEqual([expect.objectContaining({ outcome: 'fixed' })]);
    const run = (await http('GET', `${ctx.url}/api/v1/runs/${child.runId}`)).body;
    expect(run.status).toBe('cancelled');
    expect(run.error.message).toContain('cancelled by the doctor');
    // Through run control: the cancel is in the run's own event log too.
    const events = await sql(`select type from orchestration_events where run_id = $1::uuid order by seq`, [child.runId]);
    expect(events.rows.map((r: any) => r.type)).toContain('run.cancelled');
    expect(await findingsFor(child.runId)).toEqual([]);
  });

  it('matches an event wait whose event was stored behind its back, and signals it', async () => {
    const runId = randomUUID();
    const wait = await ctx.server.app.get(EventWaitService).waitFor({ runId, stepKey: 'pay', event: 'doctor.paid', match: { order: 'd1' }, since: new Date(Date.now() - 60_000) });
    expect(wait.status).toBe('waiting');
    // Stored without the matcher (the lost wake-up Inngest and Hatchet users report); one that does not match, one that does.
    const store = async (data: unknown) =>
      (await sql(`insert into external_events (event_key, name, data, source) values ($1::text, 'doctor.paid', $2::jsonb, 'test') returning id`, [randomUUID(), JSON.stringify(data)])).rows[0].id as string;
    await store({ order: 'other' });
    expect(await findingsFor(runId)).toEqual([]);
    const eventId = await store({ order: 'd1', amount: 3 });
    expect(await findingsFor(runId)).toEqual([expect.objectContaining({ kind: 'wait_for_arrived_event', stepKey: 'pay', eventId })]);

    const signals: EventWaitSignal[] = [];
    ctx.server.app.get(EventEmitter2).on(EVENT_WAIT_MATCHED, (signal: EventWaitSignal) => signals.push(signal));
    expect(await fix(runId)).toEqual([expect.objectContaining({ outcome: 'fixed' })]);
    expect(await ctx.server.app.get(EventWaitService).get(runId, 'pay')).toMatchObject({ status: 'matched', eventId });
    expect(signals.filter((s) => s.runId === runId)).toEqual([{ runId, stepKey: 'pay', eventId }]);
  });

  it('wakes the scheduler for a schedule whose fire time passed, and it fires', async () => {
    const created = await http('POST', `${ctx.url}/api/v1/schedules`, { name: `doctor-hourly-${kind}`, plan: { steps: [{ id: 's', agent: 'builtin:echo' }] }, cron: '0 * * * *' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    try {
      // The scheduler asleep, as a lost timer leaves it: its clock held back ten minutes while the
      // schedule is made due (two seconds ago, without the NOTIFY a change through the API sends),
      // so its ticks find nothing due and its timer sleeps for the 60 s poll. The doctor reads the
      // database's clock. The scheduler's is right again before the fix.
      const clock = ctx.server.app.get(SchedulerClock);
      const timer = ctx.server.app.get(SchedulerTimerService);
      clock.advance(-10 * 60_000);
      try {
        // A tick that began before the clock was held back (woken by the create, or by a run of
        // an earlier test ending) would still fire it: wait for it to end first.
        await timer.wake();
        await sql(`update schedules set next_fire_at = now() - interval '2 seconds', next_due_at = now() - interval '2 seconds' where id = $1::uuid`, [id]);
        await timer.wake();
        const [finding] = await findingsFor(id);
        expect(finding).toMatchObject({ kind: 'overdue_schedule', scheduleId: id, runId: null });
        expect(finding.explanation).toMatch(new RegExp(`^schedule doctor-hourly-${kind} was due at .* and has not fired$`));
      } finally {
        clock.advance(10 * 60_000);
      }
      expect(await fix(id)).toEqual([expect.objectContaining({ kind: 'overdue_schedule', outcome: 'fixed' })]);
      const fires = await waitFor(async () => {
        const { rows } = await sql(`select status, run_id from schedule_fires where schedule_id = $1::uuid and run_id is not null`, [id]);
        return rows.length > 0 ? rows : undefined;
      }, { what: 'the overdue fire' });
      expect(fires[0].status).toBe('started');
      expect((await waitForRun(ctx.url, fires[0].run_id)).status).toBe('completed');
      expect(await findingsFor(id)).toEqual([]);
    } finally {
      await http('DELETE', `${ctx.url}/api/v1/schedules/${id}`);
    }
  });
});
