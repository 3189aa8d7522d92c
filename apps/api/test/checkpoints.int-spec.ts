import { testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

const reviewPlan = (checkpoint: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...extra,
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides', words: 120 } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint },
    { id: 'publish', agent: 'builtin:transform', depends_on: ['review'], input: { published: '{{ steps.review.output }}' } },
  ],
});

describe.each(testDatabaseKinds())('human checkpoints on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200' });

  async function pendingFor(runId: string): Promise<any> {
    return waitFor(async () => {
      const list = await http('GET', `${ctx.url}/api/v1/approvals?status=pending&runId=${runId}`);
      return list.body.approvals[0];
    }, { what: `a pending approval in run ${runId}` });
  }

  it('waits for a person, then passes the edited payload on as the step output', async () => {
    const run = await startPlan(ctx.url, reviewPlan({
      prompt: 'Publish {{ steps.draft.output.title }}?',
      allow_edit: true,
      schema: { type: 'object', required: ['title'], properties: { title: { type: 'string' }, words: { type: 'integer' } } },
    }));
    const approval = await pendingFor(run.id);
    expect(approval).toMatchObject({ kind: 'checkpoint', status: 'pending', stepId: 'review', prompt: 'Publish Tides?', payload: { draft: { title: 'Tides', words: 120 } } });
    const waiting = await waitForRun(ctx.url, run.id, (r) => r.status === 'waiting');
    expect(stepOf(waiting, 'review').status).toBe('waiting');

    const invalid = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve', payload: { words: 'many' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details.map((d: any) => d.path).sort()).toEqual(['payload', 'payload.words']);
    expect((await http('GET', `${ctx.url}/api/v1/approvals/${approval.id}`)).body.status).toBe('pending');

    const decided = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, {
      decision: 'approve',
      comment: 'shorter title',
      payload: { title: 'Tides, briefly' },
    });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'approved', decision: 'approve', decidedBy: { name: 'anonymous' }, comment: 'shorter title' });
    expect(decided.body.decidedAt).toBeTruthy();
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'review').output).toEqual({ title: 'Tides, briefly' });
    expect(done.output).toEqual({ publish: { published: { title: 'Tides, briefly' } } });

    const again = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'reject' });
    expect(again.status).toBe(409);
  });

  it('refuses an edited payload when the checkpoint does not allow editing', async () => {
    const run = await startPlan(ctx.url, reviewPlan({ prompt: 'ok?' }));
    const approval = await pendingFor(run.id);
    const response = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve', payload: { x: 1 } });
    expect(response.status).toBe(400);
    expect(response.body.details[0].path).toBe('payload');
    await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve' });
    const done = await waitForRun(ctx.url, run.id);
    expect(stepOf(done, 'review').output).toEqual({ draft: { title: 'Tides', words: 120 } });
  });

  it('fails the step and the run when the person rejects', async () => {
    const run = await startPlan(ctx.url, reviewPlan({ prompt: 'ok?' }));
    const approval = await pendingFor(run.id);
    await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'reject', comment: 'off topic' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(stepOf(done, 'review')).toMatchObject({ status: 'failed', error: { code: 'checkpoint_rejected', message: 'rejected by anonymous: off topic' } });
    expect(stepOf(done, 'publish').status).toBe('cancelled');
  });

  it('applies on_timeout when nobody decides in time', async () => {
    const approve = await startPlan(ctx.url, reviewPlan({ prompt: 'ok?', timeout_seconds: 1, on_timeout: 'approve' }));
    const fail = await startPlan(ctx.url, reviewPlan({ prompt: 'ok?', timeout_seconds: 1 }));
    expect((await waitForRun(ctx.url, approve.id)).status).toBe('completed');
    const failed = await waitForRun(ctx.url, fail.id);
    expect(failed.status).toBe('failed');
    expect(stepOf(failed, 'review').error.code).toBe('checkpoint_timeout');
    const expired = await http('GET', `${ctx.url}/api/v1/approvals?runId=${fail.id}`);
    expect(expired.body.approvals[0]).toMatchObject({ status: 'expired', decidedBy: { name: 'system:timeout' } });
  });

  it('asks a person when a notify_human step fails, and re-runs it on approval', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: { error_handling: { on_step_failure: { max_attempts: 1, notify_human: true } } },
      steps: [{ id: 'fragile', agent: 'builtin:fail', input: { times: 1, output: 'recovered' } }],
    });
    const approval = await pendingFor(run.id);
    expect(approval).toMatchObject({ kind: 'failure', attempt: 1, payload: { error: { code: 'agent_error' } } });
    await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'fragile')).toMatchObject({ attempt: 2, output: 'recovered' });
  });

  it('fails a notify_human step when the person rejects the retry', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: { error_handling: { on_step_failure: { max_attempts: 1, notify_human: true } } },
      steps: [{ id: 'fragile', agent: 'builtin:fail', input: { times: 5 } }],
    });
    const approval = await pendingFor(run.id);
    await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'reject' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(stepOf(done, 'fragile')).toMatchObject({ attempt: 1, error: { code: 'checkpoint_rejected' } });
  });

  it('completes a run whose checkpoint is approved after a server restart', async () => {
    const run = await startPlan(ctx.url, reviewPlan({ prompt: 'ok?' }));
    const approval = await pendingFor(run.id);
    await ctx.restart();
    const decided = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve' });
    expect(decided.status).toBe(200);
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
  });

  it('closes the open approvals of a cancelled run', async () => {
    const run = await startPlan(ctx.url, reviewPlan({ prompt: 'ok?' }));
    const approval = await pendingFor(run.id);
    await http('POST', `${ctx.url}/api/v1/runs/${run.id}/cancel`);
    await waitFor(async () => (await http('GET', `${ctx.url}/api/v1/approvals/${approval.id}`)).body.status === 'cancelled', { what: 'approval cancelled' });
    const late = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve' });
    expect(late.status).toBe(409);
  });
});
