import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

/**
 * Issue 16: the doctor. Each stuck state is made by corrupting a real database on purpose
 * (a finished run put back into the state a crash or a bug would leave), then detected by
 * `GET /api/v1/system/doctor` and repaired by `POST /api/v1/system/doctor/fix`.
 * The poll is slow so that no sweep repairs anything behind the doctor's back.
 */
describe.each(testDatabaseKinds())('doctor on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '60000', BATON_DOCTOR_STUCK_SECONDS: '0', BATON_DOCTOR_INTERVAL_MS: '0' });
  const sql = (text: string, params: unknown[] = []) => ctx.database.db.query<any>(text, params);

  /** A finished two-step run (a → b): ids of the run and of step b. */
  async function finishedRun(): Promise<{ runId: string; stepB: string }> {
    const run = await startPlan(ctx.url, { steps: [{ id: 'a', agent: 'builtin:echo' }, { id: 'b', agent: 'builtin:echo', depends_on: ['a'] }] });
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
    const { rows } = await sql(`select id from orchestration_steps where run_id = $1::uuid and step_key = 'b'`, [run.id]);
    return { runId: run.id, stepB: rows[0].id };
  }

  /** Puts the run back to running with b not done. */
  async function reopen(runId: string, stepB: string, stepSet: string, params: unknown[] = []) {
    await sql(`update orchestration_runs set status = 'running', steps_done = 1, finished_at = null, output = null where id = $1::uuid`, [runId]);
    await sql(`update orchestration_steps set ${stepSet}, output = null, finished_at = null where id = $1::uuid`, [stepB, ...params]);
  }

  async function findingsFor(runId: string) {
    const report = await http('GET', `${ctx.url}/api/v1/system/doctor`);
    expect(report.status).toBe(200);
    return (report.body.findings as any[]).filter((f) => f.runId === runId);
  }

  async function fix(runId: string) {
    const fixed = await http('POST', `${ctx.url}/api/v1/system/doctor/fix`);
    expect(fixed.status).toBe(200);
    return (fixed.body.repairs as any[]).filter((r) => r.runId === runId);
  }

  const setMode = (mode: string) => http('POST', `${ctx.url}/api/v1/system/mode`, { mode, reason: 'doctor test' });

  it('finds nothing on a healthy database', async () => {
    await finishedRun();
    expect((await http('GET', `${ctx.url}/api/v1/system/doctor`)).body.findings).toEqual([]);
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
  });
});
