import { testDatabaseKinds } from '@baton/testing';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { http, useTestServer } from './support/test-app.js';

describe.each(testDatabaseKinds())('run deadlines on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_FAULT_SWEEP_MS: '100' });

  it('cancels the run tree with run_timeout at the definition deadline', async () => {
    const child = await http('POST', `${ctx.url}/api/v1/definitions`, {
      name: 'slow-child', version: '1', steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 60_000 } }],
    });
    expect(child.status).toBe(201);
    const run = await startPlan(ctx.url, {
      orchestration: { timeout_seconds: 3, execution: { concurrency: { maxParallel: 2 } } },
      steps: [
        { id: 'slow', agent: 'builtin:delay', input: { ms: 60_000 } },
        { id: 'nested', type: 'orchestration', definition: { name: 'slow-child' } },
      ],
    });
    expect(Date.parse(run.deadline_at) - Date.parse(run.createdAt)).toBe(3000);
    const started = await waitForRun(ctx.url, run.id, (r) => !!stepOf(r, 'nested').childRunId);
    const done = await waitForRun(ctx.url, run.id, undefined, 15_000);
    expect(done.status).toBe('cancelled');
    expect(done.error).toMatchObject({ code: 'run_timeout' });
    expect(stepOf(done, 'slow').status).toBe('cancelled');
    const nested = await waitForRun(ctx.url, stepOf(started, 'nested').childRunId);
    expect(nested.status).toBe('cancelled');
  });

  it("keeps a run's own deadline across a restart", async () => {
    const run = await startPlan(ctx.url, { steps: [{ id: 'slow', agent: 'builtin:delay', input: { ms: 60_000 } }] }, {}, { timeout_seconds: 2 });
    expect(Date.parse(run.deadline_at) - Date.parse(run.createdAt)).toBe(2000);
    await ctx.restart();
    const done = await waitForRun(ctx.url, run.id, undefined, 20_000);
    expect(done).toMatchObject({ status: 'cancelled', error: { code: 'run_timeout' } });
  });

  it('gives runs the WORKFLOW_TIMEOUT_HOURS deadline by default and refuses a bad timeout_seconds', async () => {
    const run = await startPlan(ctx.url, { steps: [{ id: 'e', agent: 'builtin:echo' }] });
    expect(Date.parse(run.deadline_at) - Date.parse(run.createdAt)).toBe(24 * 3600 * 1000);
    const bad = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'e', agent: 'builtin:echo' }] }, timeout_seconds: 0 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('timeout_seconds');
  });
});

describe.each(testDatabaseKinds())('admission control on %s', (kind) => {
  const ctx = useTestServer(kind, { MAX_CONCURRENT_WORKFLOWS: '1' });

  it('runs one top-level run at a time and queues the others pending in FIFO order with their position', async () => {
    // The first run holds the only slot long enough for the others to queue behind it.
    const first = await startPlan(ctx.url, { steps: [{ id: 'work', agent: 'builtin:delay', input: { ms: 4000 } }] });
    const plan = { steps: [{ id: 'work', agent: 'builtin:delay', input: { ms: 300 } }] };
    await waitForRun(ctx.url, first.id, (r) => r.status === 'running');
    const second = await startPlan(ctx.url, plan);
    const third = await startPlan(ctx.url, plan);
    expect([second.status, second.queue_position]).toEqual(['pending', 1]);
    expect([third.status, third.queue_position]).toEqual(['pending', 2]);
    const firstDone = await waitForRun(ctx.url, first.id);
    const promoted = await waitForRun(ctx.url, third.id, (r) => r.queue_position === 1 || r.status !== 'pending');
    expect(promoted.queue_position === 1 || promoted.status === 'running').toBe(true);
    const [secondDone, thirdDone] = [await waitForRun(ctx.url, second.id), await waitForRun(ctx.url, third.id)];
    expect([firstDone.status, secondDone.status, thirdDone.status]).toEqual(['completed', 'completed', 'completed']);
    expect(Date.parse(secondDone.startedAt)).toBeGreaterThanOrEqual(Date.parse(firstDone.finishedAt));
    expect(Date.parse(thirdDone.startedAt)).toBeGreaterThanOrEqual(Date.parse(secondDone.finishedAt));
    expect(thirdDone.queue_position).toBeNull();
  });
});
