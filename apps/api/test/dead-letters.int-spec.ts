import { testDatabaseKinds } from '@baton/testing';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { http, useTestServer } from './support/test-app.js';

const once = { error_handling: { on_step_failure: { max_attempts: 1 } } };

describe.each(testDatabaseKinds())('dead letters on %s', (kind) => {
  const ctx = useTestServer(kind);

  it('lists failed steps across runs and retries them in bulk, by list and by filter', async () => {
    const saved = await http('POST', `${ctx.url}/api/v1/definitions`, {
      name: 'fails-once', version: '1', orchestration: once,
      steps: [{ id: 'flaky', agent: 'builtin:fail', input: { times: 1, message: 'first try fails', retryable: false } }],
    });
    expect(saved.status).toBe(201);
    const byPlan = await startPlan(ctx.url, {
      orchestration: once,
      steps: [{ id: 'shaky', agent: 'builtin:fail', input: { times: 1, message: 'plan fails once' } }],
    });
    const bySaved = await Promise.all([1, 2].map(() => http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'fails-once' } })));
    const healthy = await startPlan(ctx.url, { steps: [{ id: 'fine', agent: 'builtin:echo' }] });
    for (const id of [byPlan.id, ...bySaved.map((r) => r.body.id)]) expect((await waitForRun(ctx.url, id)).status).toBe('failed');
    expect((await waitForRun(ctx.url, healthy.id)).status).toBe('completed');

    const listed = await http('GET', `${ctx.url}/api/v1/steps?status=failed`);
    expect(listed.status).toBe(200);
    expect(listed.body.steps.map((s: any) => s.runId).sort()).toEqual([byPlan.id, ...bySaved.map((r) => r.body.id)].sort());
    expect(listed.body.steps.find((s: any) => s.runId === byPlan.id)).toMatchObject({ id: 'shaky', status: 'failed', attempt: 1, error: { message: expect.stringContaining('plan fails once') } });
    const page = await http('GET', `${ctx.url}/api/v1/steps?status=failed&limit=2`);
    expect(page.body.steps).toHaveLength(2);
    const rest = await http('GET', `${ctx.url}/api/v1/steps?status=failed&limit=2&cursor=${page.body.nextCursor}`);
    expect([...page.body.steps, ...rest.body.steps].map((s: any) => s.stepId)).toEqual(listed.body.steps.map((s: any) => s.stepId));
    expect((await http('GET', `${ctx.url}/api/v1/steps?status=exploded`)).status).toBe(400);

    // Bulk retry by list: the failed step succeeds on its second attempt; a bad item is reported, not fatal.
    const retried = await http('POST', `${ctx.url}/api/v1/steps/retry`, {
      steps: [{ runId: byPlan.id, stepId: 'shaky' }, { runId: healthy.id, stepId: 'fine' }],
    });
    expect(retried.status).toBe(200);
    expect(retried.body.retried).toBe(1);
    expect(retried.body.results[1]).toMatchObject({ runId: healthy.id, retried: false, error: { code: 'invalid_state' } });
    expect(stepOf(await waitForRun(ctx.url, byPlan.id), 'shaky')).toMatchObject({ status: 'completed', attempt: 2 });

    // Retry by filter: only the failed runs of that definition.
    expect((await http('POST', `${ctx.url}/api/v1/runs/retry`, {})).status).toBe(400);
    const byFilter = await http('POST', `${ctx.url}/api/v1/runs/retry`, { status: 'failed', definition: 'fails-once' });
    expect(byFilter.status).toBe(200);
    expect(byFilter.body.results.map((r: any) => r.runId).sort()).toEqual(bySaved.map((r) => r.body.id).sort());
    for (const run of bySaved) expect((await waitForRun(ctx.url, run.body.id)).status).toBe('completed');
    expect((await http('GET', `${ctx.url}/api/v1/steps?status=failed`)).body.steps).toEqual([]);
  });
});
