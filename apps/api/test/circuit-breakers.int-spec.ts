import { testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { startLoopbackAgent, type LoopbackAgent } from './support/loopback-agent.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { http, useTestServer } from './support/test-app.js';

const retries = (max_attempts: number) => ({
  error_handling: { on_step_failure: { max_attempts, backoff: { initial_ms: 20, multiplier: 1, max_ms: 20 } } },
});

async function agentEvents(database: TestDatabase, agent: string): Promise<string[]> {
  const { rows } = await database.db.query<{ type: string }>(
    `select type from agent_events where agent = $1::text order by id`,
    [agent],
  );
  return rows.map((row) => row.type.replace('agent.breaker_', ''));
}

async function register(url: string, body: Record<string, unknown>): Promise<void> {
  const response = await http('POST', `${url}/api/v1/agents`, { kind: 'http', ...body });
  if (response.status >= 300) throw new Error(`agent not registered: ${JSON.stringify(response.body)}`);
}

describe.each(testDatabaseKinds())('circuit breakers and agent choice on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_FAULT_SWEEP_MS: '100', ORCHESTRATION_MAX_CONCURRENCY: '3' });
  const agents: LoopbackAgent[] = [];
  const agent = async (options: { status?: number; delayMs?: number } = {}): Promise<LoopbackAgent> => {
    const started = await startLoopbackAgent(options);
    agents.push(started);
    return started;
  };
  afterAll(async () => {
    for (const a of agents) await a.close();
  });

  it('opens after the threshold, parks steps without spending attempts or slots, half-opens, re-opens on a failed probe and closes', async () => {
    const flaky = await agent({ status: 503 });
    await register(ctx.url, { name: 'flaky', url: flaky.url, breaker: { failure_threshold: 2, reset_seconds: 1 } });
    const first = await startPlan(ctx.url, { orchestration: retries(20), steps: [{ id: 'a', agent: 'flaky' }] });
    const parked = await waitForRun(ctx.url, first.id, (run) => stepOf(run, 'a').wait_reason === 'breaker_open');
    expect(stepOf(parked, 'a')).toMatchObject({ status: 'waiting', attempt: 2, served_by: 'flaky' });
    expect(flaky.calls).toBe(2);

    // Later steps for the open agent are parked before any attempt; they hold no slot, so
    // other work (three slots in all) still runs.
    const later = await Promise.all([1, 2, 3].map(() => startPlan(ctx.url, { orchestration: retries(20), steps: [{ id: 'b', agent: 'flaky' }] })));
    const laterAttempts: number[] = [];
    for (const run of later) {
      const waiting = await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'b').wait_reason === 'breaker_open');
      expect(stepOf(waiting, 'b')).toMatchObject({ status: 'waiting' });
      laterAttempts.push(stepOf(waiting, 'b').attempt);
    }
    // No attempt without a call: the breaker half-opens after its 1 s reset, and on a slow
    // machine that can come before these are parked, so one of them may be the probe (one
    // call, one attempt, parked again when it fails). Every other one spent nothing.
    expect(laterAttempts.every((n) => n <= 1)).toBe(true);
    expect(laterAttempts.filter((n) => n === 1).length).toBeLessThanOrEqual(flaky.calls - 2);
    const other = await startPlan(ctx.url, { steps: [{ id: 'x', agent: 'builtin:echo' }] });
    expect((await waitForRun(ctx.url, other.id)).status).toBe('completed');

    // Half-open lets one probe through; it fails, so the breaker opens again.
    await waitFor(async () => (await agentEvents(ctx.database, 'flaky')).join(',').startsWith('opened,half_opened,opened'), {
      timeoutMs: 15_000,
      what: 'a failed probe re-opening the breaker',
    });
    flaky.status = 200;
    const runs = await Promise.all([first, ...later].map((run) => waitForRun(ctx.url, run.id)));
    expect(runs.map((run) => run.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    const events = await agentEvents(ctx.database, 'flaky');
    expect(events.slice(-2)).toEqual(['half_opened', 'closed']);
    // Every attempt is a call the agent received: parking spent none.
    const attempts = runs.map((run) => stepOf(run, run.steps[0].id).attempt);
    expect(attempts.reduce((a, b) => a + b, 0)).toBe(flaky.calls);
    for (const [index, run] of runs.entries()) {
      expect(flaky.callsByStep.get(`${run.id}/${run.steps[0].id}`)).toBe(attempts[index]);
    }
    expect(Math.max(...attempts.slice(1))).toBeLessThanOrEqual(2);
  });

  it('closes a breaker by hand and wakes the steps parked behind it', async () => {
    const down = await agent({ status: 500 });
    await register(ctx.url, { name: 'down', url: down.url, breaker: { failure_threshold: 1, reset_seconds: 3600 } });
    const run = await startPlan(ctx.url, { orchestration: retries(5), steps: [{ id: 's', agent: 'down' }] });
    await waitForRun(ctx.url, run.id, (r) => stepOf(r, 's').wait_reason === 'breaker_open');
    const gauge = async (): Promise<string | undefined> =>
      (await http<string>('GET', `${ctx.url}/metrics`)).body.match(/orchestration_agent_breaker_state\{agent="down"\} (\d)/)?.[1];
    expect(await gauge()).toBe('2');
    down.status = 200;
    const reset = await http('POST', `${ctx.url}/api/v1/agents/down/breaker/reset`);
    expect(reset.status).toBe(200);
    expect(await gauge()).toBe('0');
    expect(reset.body).toMatchObject({ agent: 'down', state: 'closed', consecutive_failures: 0, failure_threshold: 1, reset_seconds: 3600 });
    const done = await waitForRun(ctx.url, run.id);
    expect(stepOf(done, 's')).toMatchObject({ status: 'completed', attempt: 2 });
    expect(await agentEvents(ctx.database, 'down')).toEqual(['opened', 'closed']);
    expect((await http('POST', `${ctx.url}/api/v1/agents/nobody/breaker/reset`)).status).toBe(404);
  });

  it('routes a capability around a broken agent to the healthy one', async () => {
    const broken = await agent({ status: 502 });
    const healthy = await agent();
    await register(ctx.url, { name: 'cap-broken', url: broken.url, capabilities: ['summarize'], breaker: { failure_threshold: 2, reset_seconds: 3600 } });
    await register(ctx.url, { name: 'cap-healthy', url: healthy.url, capabilities: ['summarize'] });
    const steps = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, capability: 'summarize' }));
    // One step at a time: each claim then comes after the previous call's failure reached the
    // breaker. With two, a step could be sent to the broken agent while its second failing call
    // was still being recorded (a third call to a breaker still closed, which is right, but not
    // what this test counts).
    const run = await startPlan(ctx.url, { orchestration: { ...retries(3), execution: { concurrency: { maxParallel: 1 } } }, steps });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.steps.map((s: any) => s.served_by)).toEqual(steps.map(() => 'cap-healthy'));
    // The broken agent got exactly the calls that opened its breaker, and no more.
    expect(broken.calls).toBe(2);
    expect(await agentEvents(ctx.database, 'cap-broken')).toEqual(['opened']);
    const started = await ctx.database.db.query<{ served_by: string }>(
      `select data->>'servedBy' as served_by from orchestration_events where run_id = $1::uuid and type = 'step.started'`,
      [run.id],
    );
    expect(new Set(started.rows.map((r) => r.served_by))).toEqual(new Set(['cap-broken', 'cap-healthy']));
  });

  it("counts capability-routed steps against the chosen agent's maxConcurrency", async () => {
    const single = await agent({ delayMs: 150 });
    await register(ctx.url, { name: 'slot-one', url: single.url, capabilities: ['slow'], maxConcurrency: 1 });
    const steps = Array.from({ length: 4 }, (_, i) => ({ id: `s${i}`, capability: 'slow' }));
    const run = await startPlan(ctx.url, { orchestration: { execution: { concurrency: { maxParallel: 4 } } }, steps });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(single.calls).toBe(4);
    expect(single.maxInFlight).toBe(1);
    expect(done.steps.map((s: any) => s.served_by)).toEqual(['slot-one', 'slot-one', 'slot-one', 'slot-one']);
  });

  it('gives a capability step to the least recently used agent', async () => {
    const first = await agent();
    const second = await agent();
    await register(ctx.url, { name: 'lru-a', url: first.url, capabilities: ['lru'] });
    await register(ctx.url, { name: 'lru-b', url: second.url, capabilities: ['lru'] });
    const steps = Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, capability: 'lru' }));
    const run = await startPlan(ctx.url, { orchestration: { execution: { concurrency: { maxParallel: 1 } } }, steps });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.steps.map((s: any) => s.served_by)).toEqual(['lru-a', 'lru-b', 'lru-a', 'lru-b', 'lru-a']);
    expect([first.calls, second.calls]).toEqual([3, 2]);
  });

  it('parks a pattern step before a turn whose agent has an open breaker, and routes a capability turn to a healthy agent', async () => {
    const down = await agent({ status: 503 });
    const up = await agent();
    await register(ctx.url, { name: 'turn-down', url: down.url, capabilities: ['turn-cap'], breaker: { failure_threshold: 1, reset_seconds: 3600 } });
    await register(ctx.url, { name: 'turn-up', url: up.url, capabilities: ['turn-cap'] });
    // One failed call opens turn-down's breaker.
    const opener = await startPlan(ctx.url, { steps: [{ id: 'o', agent: 'turn-down', retry: { max_attempts: 1 } }] });
    expect((await waitForRun(ctx.url, opener.id)).status).toBe('failed');
    expect(await agentEvents(ctx.database, 'turn-down')).toEqual(['opened']);

    // A capability participant goes to the healthy agent; no call reaches the open one.
    const viaCapability = await startPlan(ctx.url, { steps: [{ id: 'team', type: 'pattern', pattern: 'sequential', max_turns: 3, agents: [{ name: 'w', capability: 'turn-cap' }] }] });
    expect((await waitForRun(ctx.url, viaCapability.id)).status).toBe('completed');
    expect([down.calls, up.calls]).toEqual([1, 1]);

    // A named participant whose breaker is open parks the step before its turn: no call, no attempt spent.
    const named = await startPlan(ctx.url, { orchestration: retries(1), steps: [{ id: 'team', type: 'pattern', pattern: 'sequential', max_turns: 3, agents: [{ name: 'd', agent: 'turn-down' }] }] });
    const parked = await waitForRun(ctx.url, named.id, (r) => stepOf(r, 'team').wait_reason === 'breaker_open');
    expect(stepOf(parked, 'team')).toMatchObject({ status: 'waiting', attempt: 1 });
    expect(parked.status).toBe('running');
    expect(down.calls).toBe(1);
    down.status = 200;
    expect((await http('POST', `${ctx.url}/api/v1/agents/turn-down/breaker/reset`)).status).toBeLessThan(300);
    const done = await waitForRun(ctx.url, named.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'team')).toMatchObject({ attempt: 1 });
    expect(down.calls).toBe(2);
  });

  it('remembers an agent\'s last use when a retry moves the step to another agent (least recently used per agent)', async () => {
    // spread-c fails every call; each step it gets is retried on another agent. Its use must
    // still count: reading it from the steps (whose served_by the retry overwrites) made it
    // look unused and chose it again at once.
    const [a, b, c] = [await agent(), await agent(), await agent({ status: 503 })];
    await register(ctx.url, { name: 'spread-a', url: a.url, capabilities: ['spread'] });
    await register(ctx.url, { name: 'spread-b', url: b.url, capabilities: ['spread'] });
    await register(ctx.url, { name: 'spread-c', url: c.url, capabilities: ['spread'] });
    const steps = Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, capability: 'spread', ...(i > 0 && { depends_on: [`s${i - 1}`] }) }));
    const run = await startPlan(ctx.url, { orchestration: retries(3), steps });
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
    const { rows } = await ctx.database.db.query<{ step: string; served_by: string }>(
      `select step_key as step, data->>'servedBy' as served_by from orchestration_events
        where run_id = $1::uuid and type = 'step.started' order by seq`,
      [run.id],
    );
    expect(rows.map((r) => `${r.step}:${r.served_by.replace('spread-', '')}`)).toEqual(['s0:a', 's1:b', 's2:c', 's2:a', 's3:b', 's4:c', 's4:a']);
    expect([a.calls, b.calls, c.calls]).toEqual([3, 2, 2]);
  });
});

describe.each(testDatabaseKinds())('agent allocation timeout on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_FAULT_SWEEP_MS: '100', AGENT_ALLOCATION_TIMEOUT_SECONDS: '1' });
  let down: LoopbackAgent;
  afterAll(() => down?.close());

  it('fails a step that waited too long for any agent with agent_unavailable', async () => {
    down = await startLoopbackAgent({ status: 503 });
    await register(ctx.url, { name: 'gone', url: down.url, capabilities: ['gone'], breaker: { failure_threshold: 1, reset_seconds: 3600 } });
    const run = await startPlan(ctx.url, { orchestration: retries(5), steps: [{ id: 's', capability: 'gone' }] });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(stepOf(done, 's')).toMatchObject({ status: 'failed', attempt: 1, error: { code: 'agent_unavailable' } });
    expect(done.error).toMatchObject({ code: 'agent_unavailable', stepKey: 's' });
  });
});
