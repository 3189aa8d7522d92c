import { createServer } from 'node:http';
import { testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

describe.each(testDatabaseKinds())('fan-out, step cache and child runs on %s', (kind) => {
  const ctx = useTestServer(kind);

  it('fans a for_each step out over a list, keeping the order of results', async () => {
    const run = await startPlan(
      ctx.url,
      {
        steps: [
          { id: 'list', agent: 'builtin:echo', input: { topics: '{{ input.topics }}' } },
          {
            id: 'each',
            agent: 'builtin:transform',
            depends_on: ['list'],
            for_each: '{{ steps.list.output.topics }}',
            input: { topic: '{{ item }}', position: '{{ index }}', run: '{{ run.id }}' },
          },
        ],
      },
      { topics: ['tides', 'moons', 'orbits'] },
    );
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.output.each).toEqual([
      { topic: 'tides', position: 0, run: run.id },
      { topic: 'moons', position: 1, run: run.id },
      { topic: 'orbits', position: 2, run: run.id },
    ]);
  });

  it('fails a for_each step whose template is not a list, without retrying', async () => {
    const run = await startPlan(ctx.url, {
      steps: [{ id: 'each', agent: 'builtin:echo', for_each: '{{ input.topics }}' }],
    }, { topics: 'not a list' });
    const done = await waitForRun(ctx.url, run.id);
    expect(stepOf(done, 'each')).toMatchObject({ status: 'failed', attempt: 1, error: { code: 'invalid_for_each' } });
  });

  it('serves a repeated step from the cache and records the hit', async () => {
    const plan = {
      name: 'cached',
      version: '1',
      orchestration: { execution: { caching: { enabled: true, ttlSeconds: 600 } } },
      steps: [{ id: 'slow', agent: 'builtin:delay', input: { ms: 300, output: { answer: '{{ input.q }}' } } }],
    };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, plan)).status).toBe(201);
    const first = await waitForRun(ctx.url, (await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'cached' }, input: { q: 'x' } })).body.id);
    const second = await waitForRun(ctx.url, (await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'cached' }, input: { q: 'x' } })).body.id);
    const other = await waitForRun(ctx.url, (await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'cached' }, input: { q: 'y' } })).body.id);
    expect(stepOf(first, 'slow').cache).toMatchObject({ hit: false, hits: 0 });
    expect(stepOf(second, 'slow').cache).toMatchObject({ hit: true, hits: 1, key: stepOf(first, 'slow').cache.key });
    expect(stepOf(second, 'slow').cache.storedAt).toBe(stepOf(first, 'slow').cache.storedAt);
    expect(stepOf(second, 'slow').output).toEqual({ answer: 'x' });
    expect(stepOf(other, 'slow').cache.hit).toBe(false);
    const { rows } = await ctx.database.db.query<{ n: number }>(`select count(*)::int as n from orchestration_events where run_id = $1::uuid and type = 'step.cache_hit'`, [second.id]);
    expect(rows[0]!.n).toBe(1);
    // The shared table holds the entry, so another instance (no LRU) would hit it too.
    const entry = await ctx.database.db.query<{ hit_count: number }>('select hit_count from orchestration_step_cache where cache_key = $1::text', [stepOf(first, 'slow').cache.key]);
    expect(entry.rows).toHaveLength(1);
  });

  it('does not cache steps unless caching is enabled', async () => {
    const plan = { steps: [{ id: 'fresh', agent: 'builtin:echo', input: { v: 1 } }] };
    const a = await waitForRun(ctx.url, (await startPlan(ctx.url, plan)).id);
    const b = await waitForRun(ctx.url, (await startPlan(ctx.url, plan)).id);
    expect(stepOf(a, 'fresh').cache.key).toBeNull();
    expect(stepOf(b, 'fresh').cache.hit).toBe(false);
  });

  it('runs a child run for an orchestration step and takes its output', async () => {
    const child = {
      name: 'child-summary',
      version: '1',
      steps: [
        { id: 'draft', agent: 'builtin:transform', input: { text: 'summary of {{ input.topic }}' } },
      ],
    };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, child)).status).toBe(201);
    const run = await startPlan(ctx.url, {
      steps: [
        { id: 'prepare', agent: 'builtin:echo', input: { topic: '{{ input.topic }}' } },
        { id: 'summarize', type: 'orchestration', definition: { name: 'child-summary' }, depends_on: ['prepare'], input: { topic: '{{ steps.prepare.output.topic }}' } },
      ],
    }, { topic: 'tides' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    const step = stepOf(done, 'summarize');
    expect(step.output).toEqual({ draft: { text: 'summary of tides' } });
    const childRun = (await http('GET', `${ctx.url}/api/v1/runs/${step.childRunId}`)).body;
    expect(childRun).toMatchObject({ status: 'completed', parentRunId: run.id, parentStepId: step.stepId, input: { topic: 'tides' } });
  });

  it('cascades a cancel down to child runs', async () => {
    await http('POST', `${ctx.url}/api/v1/definitions`, {
      name: 'child-slow',
      version: '1',
      steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 30_000 } }],
    });
    const run = await startPlan(ctx.url, {
      steps: [{ id: 'nested', type: 'orchestration', definition: { name: 'child-slow', version: '1' } }],
    });
    const waiting = await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'nested').status === 'waiting');
    const childId = stepOf(waiting, 'nested').childRunId;
    await waitForRun(ctx.url, childId, (r) => r.steps[0].status === 'running');
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/cancel`)).status).toBe(200);
    const child = await waitForRun(ctx.url, childId);
    expect(child.status).toBe('cancelled');
    expect(child.steps[0].status).toBe('cancelled');
    expect((await waitForRun(ctx.url, run.id)).status).toBe('cancelled');
  });

  it('fails the parent step when its child run fails', async () => {
    await http('POST', `${ctx.url}/api/v1/definitions`, {
      name: 'child-broken',
      version: '1',
      orchestration: { error_handling: { on_step_failure: { max_attempts: 1 } } },
      steps: [{ id: 'boom', agent: 'builtin:fail', input: { message: 'child exploded' } }],
    });
    const run = await startPlan(ctx.url, {
      orchestration: { error_handling: { on_step_failure: { max_attempts: 1 } } },
      steps: [{ id: 'nested', type: 'orchestration', definition: { name: 'child-broken' } }],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(stepOf(done, 'nested').error).toMatchObject({ code: 'child_failed', message: expect.stringContaining('child exploded') });
  });

  it('starts a new child run when a failed orchestration step is retried', async () => {
    let calls = 0;
    const agent = createServer((req, res) => {
      req.resume();
      calls++;
      res.writeHead(calls === 1 ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ call: calls }));
    });
    await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(agent.address() as { port: number }).port}/`;
      await http('POST', `${ctx.url}/api/v1/agents`, { name: 'flaky-child-agent', kind: 'http', url });
      const once = { error_handling: { on_step_failure: { max_attempts: 1 } } };
      await http('POST', `${ctx.url}/api/v1/definitions`, {
        name: 'child-flaky',
        version: '1',
        orchestration: once,
        steps: [{ id: 'call', agent: 'flaky-child-agent' }],
      });
      const run = await startPlan(ctx.url, {
        orchestration: once,
        steps: [{ id: 'nested', type: 'orchestration', definition: { name: 'child-flaky' } }],
      });
      const failed = await waitForRun(ctx.url, run.id);
      expect(failed.status).toBe('failed');
      const firstChild = stepOf(failed, 'nested').childRunId;
      expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/steps/nested/retry`)).status).toBe(200);
      const done = await waitForRun(ctx.url, run.id);
      expect(done.status).toBe('completed');
      const step = stepOf(done, 'nested');
      expect(step.attempt).toBe(2);
      expect(step.childRunId).not.toBe(firstChild);
      expect(step.output).toEqual({ call: { call: 2 } });
    } finally {
      agent.close();
    }
  });
});
