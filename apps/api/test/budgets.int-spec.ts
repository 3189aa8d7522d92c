import { createServer, type Server } from 'node:http';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { startV1TestAgent, type TestAgent } from '../../../libs/agents/src/clients/a2a/testing/a2a-test-agents.js';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

/**
 * Budgets (issue 9) through HTTP, with a real agent on loopback that reports what each call
 * spent (`usage: { tokens: 100, cost: 0.01 }`) and counts its calls per tag.
 */
function meteredAgent(): { server: Server; calls: Map<string, number>; url: () => string } {
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const input = JSON.parse(body || 'null') ?? {};
      const tag = String(input.tag ?? 'untagged');
      calls.set(tag, (calls.get(tag) ?? 0) + 1);
      // A little latency, so for_each items are really in flight together.
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tag, call: calls.get(tag), usage: { tokens: 100, cost: 0.01 } }));
      }, 30);
    });
  });
  return { server, calls, url: () => `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

/** A chain of `n` steps calling the metered agent. */
const chain = (tag: string, n: number, budget?: Record<string, unknown>) => ({
  ...(budget ? { budget } : {}),
  steps: Array.from({ length: n }, (_, i) => ({
    id: `s${i + 1}`,
    agent: 'metered',
    input: { tag },
    ...(i > 0 ? { depends_on: [`s${i}`] } : {}),
  })),
});

describe.each(testDatabaseKinds())('budgets on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200' });
  const agent = meteredAgent();

  beforeAll(async () => {
    await new Promise<void>((resolve) => agent.server.listen(0, '127.0.0.1', resolve));
    const registered = await http('POST', `${ctx.url}/api/v1/agents`, { name: 'metered', kind: 'http', url: agent.url() });
    expect(registered.status).toBe(201);
  });
  afterAll(() => new Promise<void>((resolve) => agent.server.close(() => resolve())));

  async function budgetEvents(runId: string): Promise<Array<{ type: string; data: any }>> {
    const { rows } = await ctx.database.db.query<{ type: string; data: any }>(
      `select type, data from orchestration_events where run_id = $1::uuid and type like 'run.budget%' order by seq`,
      [runId],
    );
    return rows;
  }

  async function pendingApproval(runId: string): Promise<any> {
    return waitFor(async () => (await http('GET', `${ctx.url}/api/v1/approvals?status=pending&runId=${runId}`)).body.approvals[0], {
      what: `a pending approval in run ${runId}`,
    });
  }

  it('stops a runaway for_each on tokens without overshooting, warning once at 80 %', async () => {
    const items = Array.from({ length: 30 }, (_, i) => i);
    const run = await startPlan(
      ctx.url,
      { steps: [{ id: 'fan', agent: 'metered', for_each: '{{ input.items }}', input: { tag: 'fan', item: '{{ item }}' } }] },
      { items },
      { budget: { max_tokens: 450 } },
    );
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'budget_exceeded', stepKey: 'fan', message: expect.stringContaining('max_tokens') });
    // Eight items may be in flight at once; reservations keep them inside the budget.
    expect(done.budget.spent.tokens).toBeLessThanOrEqual(450);
    expect(done.budget.spent.tokens).toBe(agent.calls.get('fan')! * 100);
    expect(agent.calls.get('fan')).toBeLessThan(items.length);
    expect(done.budget).toMatchObject({ limits: { max_tokens: 450 }, on_exceed: 'fail', exceeded: 'max_tokens', rootRunId: run.id });
    expect(stepOf(done, 'fan').usage.tokens).toBe(done.budget.spent.tokens);
    const events = await budgetEvents(run.id);
    expect(events.filter((e) => e.type === 'run.budget_warning')).toEqual([{ type: 'run.budget_warning', data: { limit: 'max_tokens', spent: 400, max: 450 } }]);
    expect(events.filter((e) => e.type === 'run.budget_exceeded')).toHaveLength(1);
  });

  it('stops a runaway chain at max_steps: the steps within it run, the next fails the run', async () => {
    const run = await startPlan(ctx.url, chain('steps', 5, { max_steps: 3 }));
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'budget_exceeded', message: 'budget exceeded: max_steps (spent 3 of 3)' });
    expect(done.steps.map((s: any) => s.status)).toEqual(['completed', 'completed', 'completed', 'failed', 'cancelled']);
    expect(done.budget.spent).toMatchObject({ steps: 3, tokens: 300 });
    expect(agent.calls.get('steps')).toBe(3);
  });

  it('pauses the run past the limit; resuming needs a raise, then it continues', async () => {
    const run = await startPlan(ctx.url, chain('pause', 4, { max_tokens: 250, on_exceed: 'pause' }));
    const paused = await waitForRun(ctx.url, run.id, (r) => r.status === 'paused' && stepOf(r, 's3').status === 'queued');
    expect(paused.budget).toMatchObject({ exceeded: 'max_tokens', spent: { tokens: 200 } });
    expect(stepOf(paused, 's3').status).toBe('queued');
    const refused = await http('POST', `${ctx.url}/api/v1/runs/${run.id}/resume`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('raise it first');

    const raised = await http('PATCH', `${ctx.url}/api/v1/runs/${run.id}/budget`, { max_tokens: 1000 });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ limits: { max_tokens: 1000 }, exceeded: null, on_exceed: 'pause' });
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/resume`)).status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.budget.spent).toMatchObject({ tokens: 400, steps: 4 });
    expect(done.steps.map((s: any) => s.usage)).toEqual(Array(4).fill({ tokens: 100, cost: 0.01 }));
    expect(stepOf(done, 's3').attempt).toBe(1);
    const types = (await budgetEvents(run.id)).map((e) => e.type);
    expect(types).toEqual(['run.budget_warning', 'run.budget_exceeded', 'run.budget_raised']);
  });

  it('pauses the whole tree when a child run goes past the limit; resuming the root resumes the child', async () => {
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'budget-paused-child', version: '1', ...chain('pchild', 3) })).status).toBe(201);
    const run = await startPlan(ctx.url, {
      budget: { max_tokens: 150, on_exceed: 'pause' },
      steps: [{ id: 'nested', type: 'orchestration', definition: { name: 'budget-paused-child' } }],
    });
    const paused = await waitForRun(ctx.url, run.id, (r) => r.status === 'paused');
    const childId = stepOf(paused, 'nested').childRunId;
    const child = await waitForRun(ctx.url, childId, (r) => r.status === 'paused' && stepOf(r, 's2').status === 'queued');
    expect(child.budget).toMatchObject({ rootRunId: run.id, exceeded: 'max_tokens', spent: { tokens: 100 } });
    // The budget belongs to the root: raising it through the child raises the tree's.
    expect((await http('PATCH', `${ctx.url}/api/v1/runs/${childId}/budget`, { max_tokens: 2000 })).status).toBe(200);
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/resume`)).status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.budget.spent.tokens).toBe(300);
    expect((await http('GET', `${ctx.url}/api/v1/runs/${childId}`)).body.status).toBe('completed');
  });

  it('asks a person past the limit: approving with a new limit raises it and continues', async () => {
    const run = await startPlan(ctx.url, chain('ask', 4, { max_tokens: 250, on_exceed: 'ask' }));
    const approval = await pendingApproval(run.id);
    expect(approval).toMatchObject({ kind: 'budget', stepId: 's3', allowEdit: true, payload: { max_tokens: 500 } });
    expect(approval.prompt).toContain('max_tokens');
    expect((await waitForRun(ctx.url, run.id, (r) => r.status === 'waiting')).budget.exceeded).toBe('max_tokens');

    const bad = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve', payload: { max_tokens: 'more' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('payload.max_tokens');
    const decided = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve', payload: { max_tokens: 900 } });
    expect(decided.status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.budget).toMatchObject({ limits: { max_tokens: 900 }, spent: { tokens: 400 }, exceeded: null });
  });

  it('fails the run with budget_exceeded when the person rejects the raise', async () => {
    const run = await startPlan(ctx.url, chain('reject', 3, { max_tokens: 150, on_exceed: 'ask' }));
    const approval = await pendingApproval(run.id);
    await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'reject', comment: 'enough' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'budget_exceeded', message: expect.stringContaining('rejected by anonymous: enough') });
    expect(agent.calls.get('reject')).toBe(1);
  });

  it('charges child runs to the root run\'s budget and fails the root when a child goes past it', async () => {
    const child = await http('POST', `${ctx.url}/api/v1/definitions`, {
      name: 'budget-child',
      version: '1',
      // A child's own budget is not used: the root's covers the tree.
      budget: { max_tokens: 100000 },
      steps: [
        { id: 'c1', agent: 'metered', input: { tag: 'child' } },
        { id: 'c2', agent: 'metered', depends_on: ['c1'], input: { tag: 'child' } },
      ],
    });
    expect(child.status).toBe(201);
    const run = await startPlan(ctx.url, {
      budget: { max_tokens: 250, max_cost: 10 },
      steps: [
        { id: 'first', agent: 'metered', input: { tag: 'parent' } },
        { id: 'nested', type: 'orchestration', definition: { name: 'budget-child' }, depends_on: ['first'] },
      ],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    // The child's step fails, then the root: directly, or through the parent step collecting the child.
    expect(done.error).toMatchObject({ code: 'budget_exceeded', message: expect.stringContaining('max_tokens') });
    expect(done.budget.spent).toMatchObject({ tokens: 200, cost: 0.02 });
    expect(agent.calls.get('child')).toBe(1);
    const childRun = (await http('GET', `${ctx.url}/api/v1/runs/${stepOf(done, 'nested').childRunId}`)).body;
    expect(childRun.status).toBe('failed');
    expect(childRun.budget).toMatchObject({ rootRunId: run.id, limits: { max_tokens: 250 } });
    expect(stepOf(childRun, 'c1').usage).toEqual({ tokens: 100, cost: 0.01 });
    expect(stepOf(childRun, 'c2').error.code).toBe('budget_exceeded');
  });

  it('has child runs hold their steps before they start, so parallel children cannot overshoot max_steps', async () => {
    const trio = await http('POST', `${ctx.url}/api/v1/definitions`, {
      name: 'budget-trio',
      version: '1',
      steps: ['a', 'b', 'c'].map((id, i) => ({ id, agent: 'metered', input: { tag: 'trio' }, ...(i > 0 ? { depends_on: [['a', 'b'][i - 1]] } : {}) })),
    });
    expect(trio.status).toBe(201);
    const twoChildren = (maxSteps: number) => ({
      budget: { max_steps: maxSteps },
      orchestration: { execution: { concurrency: { maxParallel: 2 } } },
      steps: [
        { id: 'left', type: 'orchestration', definition: { name: 'budget-trio' } },
        { id: 'right', type: 'orchestration', definition: { name: 'budget-trio' } },
      ],
    });
    // 2 orchestration steps + 3 + 3 child steps = 8.
    const fits = await waitForRun(ctx.url, (await startPlan(ctx.url, twoChildren(8))).id);
    expect(fits.status).toBe('completed');
    expect(fits.budget.spent.steps).toBe(8);

    const tight = await startPlan(ctx.url, twoChildren(7));
    const done = await waitForRun(ctx.url, tight.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'budget_exceeded', message: expect.stringContaining('a child run of 3 steps does not fit') });
    const { rows } = await ctx.database.db.query<{ n: number }>('select count(*)::int as n from orchestration_runs where parent_run_id = $1::uuid', [tight.id]);
    expect(rows[0]!.n).toBe(1);
    expect(done.budget.spent.steps).toBeLessThanOrEqual(7);
  });

  it('stops a tree whose time is up while its only step is still in a long call', async () => {
    const run = await startPlan(ctx.url, {
      budget: { max_wall_seconds: 1 },
      steps: [{ id: 'slow', agent: 'builtin:delay', input: { ms: 15_000, output: { late: true } } }],
    });
    const done = await waitForRun(ctx.url, run.id, undefined, 12_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'budget_exceeded', message: expect.stringContaining('max_wall_seconds') });
    expect(stepOf(done, 'slow').status).toBe('cancelled');
    expect(new Date(done.finishedAt).getTime() - new Date(done.createdAt).getTime()).toBeLessThan(10_000);
    const exceeded = (await budgetEvents(run.id)).find((e) => e.type === 'run.budget_exceeded');
    expect(exceeded?.data).toMatchObject({ limit: 'max_wall_seconds', onExceed: 'fail', runId: run.id });
  });

  it('adds up usage that an A2A agent reports in its task metadata', async () => {
    const a2a: TestAgent = await startV1TestAgent('metered');
    try {
      expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'a2a-metered', kind: 'a2a', url: a2a.url })).status).toBe(201);
      const run = await startPlan(ctx.url, {
        budget: { max_cost: 1 },
        steps: [
          { id: 'a', agent: 'a2a-metered', input: { q: 1 } },
          { id: 'b', agent: 'a2a-metered', depends_on: ['a'], input: { q: 2 } },
        ],
      });
      const done = await waitForRun(ctx.url, run.id);
      expect(done.status).toBe('completed');
      expect(done.budget.spent).toMatchObject({ tokens: 200, cost: 0.02, steps: 2 });
      expect(stepOf(done, 'a').usage).toEqual({ tokens: 100, cost: 0.01 });
    } finally {
      await a2a.close();
    }
  });

  it('refuses a bad budget with a 400 naming the path, and stores nothing', async () => {
    const before = (await ctx.database.db.query<{ n: number }>('select count(*)::int as n from orchestration_runs')).rows[0]!.n;
    const run = await http('POST', `${ctx.url}/api/v1/runs`, { plan: chain('never', 1), budget: { max_tokens: 0, on_exceed: 'later' } });
    expect(run.status).toBe(400);
    expect(run.body.details.map((d: any) => d.path).sort()).toEqual(['budget.max_tokens', 'budget.on_exceed']);
    const definition = await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'bad-budget', version: '1', ...chain('never', 1, { max_cost: -1 }) });
    expect(definition.status).toBe(400);
    expect(definition.body.details.map((d: any) => d.path)).toEqual(['budget.max_cost']);
    expect((await http('GET', `${ctx.url}/api/v1/definitions/bad-budget`)).status).toBe(404);
    expect((await ctx.database.db.query<{ n: number }>('select count(*)::int as n from orchestration_runs')).rows[0]!.n).toBe(before);
    expect(agent.calls.get('never')).toBeUndefined();

    const plain = await startPlan(ctx.url, { steps: [{ id: 'x', agent: 'builtin:echo' }] });
    const plainDone = await waitForRun(ctx.url, plain.id);
    expect(plainDone.budget).toBeNull();
    expect(stepOf(plainDone, 'x').usage).toBeNull();
    const noBudget = await http('PATCH', `${ctx.url}/api/v1/runs/${plain.id}/budget`, { max_steps: 5 });
    expect(noBudget.status).toBe(409);
    const badPatch = await http('PATCH', `${ctx.url}/api/v1/runs/${plain.id}/budget`, { max_steps: 'many' });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.details[0].path).toBe('max_steps');
  });
});
