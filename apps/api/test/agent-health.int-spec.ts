import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { startGatedAgent } from './support/gated-agent.js';

/**
 * `GET /api/v1/agents/:name/health` (the agents page) and the `step.items_progressed` events
 * a running for_each step writes (the run page's item statuses), on both databases.
 */
describe.each(testDatabaseKinds())('agent health and for_each progress on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200', BATON_WORKER_CONCURRENCY: '4' });

  it('counts calls in flight against the agent’s slots and lists its recent failures', async () => {
    const agent = await startGatedAgent();
    try {
      expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'gated', kind: 'http', url: agent.url, maxConcurrency: 2 })).status).toBe(201);
      const idle = await http('GET', `${ctx.url}/api/v1/agents/gated/health`);
      expect(idle.status).toBe(200);
      expect(idle.body).toMatchObject({ name: 'gated', inFlight: 0, slots: { limit: 2, used: 0, free: 2 }, recentFailures: { count: 0, items: [] } });

      const run = await startPlan(ctx.url, {
        steps: ['a', 'b', 'c'].map((id) => ({ id, agent: 'gated' })),
        orchestration: { execution: { concurrency: { maxParallel: 3 } } },
      });
      await waitFor(async () => agent.inFlight() === 2, { what: 'two held calls' });
      const busy = (await http('GET', `${ctx.url}/api/v1/agents/gated/health`)).body;
      expect(busy).toMatchObject({ inFlight: 2, slots: { limit: 2, used: 2, free: 0 } });
      agent.release();
      expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
      expect((await http('GET', `${ctx.url}/api/v1/agents/gated/health`)).body).toMatchObject({ inFlight: 0, slots: { used: 0, free: 2 } });
    } finally {
      await agent.close();
    }

    const failing = await startPlan(ctx.url, { steps: [{ id: 'boom', agent: 'builtin:fail', input: { message: 'agent said no', retryable: false } }] });
    expect((await waitForRun(ctx.url, failing.id)).status).toBe('failed');
    const health = (await http('GET', `${ctx.url}/api/v1/agents/builtin:fail/health`)).body;
    expect(health.slots).toEqual({ limit: null, used: 0, free: null });
    expect(health.recentFailures.count).toBeGreaterThanOrEqual(1);
    expect(health.recentFailures.items[0]).toMatchObject({ runId: failing.id, stepKey: 'boom', status: 'failed', message: 'agent said no', retryable: false });
    expect(health.breaker).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    // Another agent's failures are not this one's.
    expect((await http('GET', `${ctx.url}/api/v1/agents/builtin:echo/health`)).body.recentFailures.count).toBe(0);
    expect((await http('GET', `${ctx.url}/api/v1/agents/no-such-agent/health`)).status).toBe(404);
  });

  it('records which items of a running for_each step are done, running or failed', async () => {
    const run = await startPlan(
      ctx.url,
      { steps: [{ id: 'fan', agent: 'builtin:delay', for_each: '{{ input.items }}', input: { ms: '{{ item }}', output: '{{ index }}' } }] },
      { items: [50, 1500, 50] },
    );
    const progress = async () =>
      (
        await ctx.database.db.query<{ data: any }>(
          `select data from orchestration_events where run_id = $1::uuid and type = 'step.items_progressed' order by seq`,
          [run.id],
        )
      ).rows.map((row) => row.data);
    await waitFor(async () => (await progress()).length > 0, { what: 'a progress event', timeoutMs: 10_000 });
    const [first] = await progress();
    expect(first).toMatchObject({ attempt: 1, total: 3, running: [1], failed: [] });
    expect([...first.completed].sort()).toEqual([0, 2]);
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');

    // A failing item is on record, by index, before the step's own failure.
    const failed = await startPlan(
      ctx.url,
      { steps: [{ id: 'fan', agent: 'builtin:fail', for_each: '{{ input.items }}', input: '{{ item }}' }] },
      { items: [{ times: 0 }, { message: 'item one broke', retryable: false }] },
    );
    const done = await waitForRun(ctx.url, failed.id);
    expect(stepOf(done, 'fan').status).toBe('failed');
    const events = await ctx.database.db.query<{ data: any }>(
      `select data from orchestration_events where run_id = $1::uuid and type = 'step.items_progressed'`,
      [failed.id],
    );
    expect(events.rows.flatMap((row) => row.data.failed)).toContainEqual({ index: 1, message: 'item one broke' });
  });
});
