import { randomUUID } from 'node:crypto';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { stepOf } from './support/runs.js';
import { http, startTestApp, useTestServer } from './support/test-app.js';

const ADMIN = 'bus-engine-admin-token-0123456789abcdef';
const ENV = { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_MESSAGE_SWEEP_MS: '100' };
const auth = { authorization: `Bearer ${ADMIN}` };

/**
 * The engine side of the bus (issue 14): `type: wait` steps parked until a matching event
 * (no lost wake-up, across a restart and instances), their timeouts, and runs started by
 * definition `triggers`, exactly one per event and trigger.
 */
describe.each(testDatabaseKinds())('wait steps and triggers on %s', (kind) => {
  const ctx = useTestServer(kind, ENV);
  const api = (method: string, path: string, body?: unknown, url = ctx.url) => http(method, `${url}${path}`, body, auth);
  const postEvent = (name: string, data: unknown, id: string = randomUUID(), url = ctx.url) => api('POST', '/api/v1/events/external', { name, data, id }, url);
  const startRun = async (plan: unknown, input: unknown = {}, url = ctx.url) => {
    const created = await api('POST', '/api/v1/runs', { plan, input }, url);
    expect(created.status).toBe(201);
    return created.body.id as string;
  };
  const runOf = async (id: string) => (await api('GET', `/api/v1/runs/${id}`)).body;
  const until = (id: string, predicate: (run: any) => boolean, what: string) =>
    waitFor(async () => {
      const run = await runOf(id);
      return predicate(run) ? run : undefined;
    }, { timeoutMs: 20_000, what });
  const finished = (id: string) => until(id, (run) => ['completed', 'failed', 'cancelled'].includes(run.status), `run ${id} to finish`);
  const eventTypes = async (id: string): Promise<string[]> =>
    (await ctx.database.db.query<{ type: string }>(`select type from orchestration_events where run_id = $1::uuid order by seq`, [id])).rows.map((r) => r.type);

  const waitPlan = (extra: Record<string, unknown> = {}, before: unknown[] = []) => ({
    steps: [
      ...before,
      {
        id: 'pay',
        type: 'wait',
        event: 'payment.received',
        match: { order: '{{ input.order }}' },
        timeout_seconds: 60,
        ...(before.length > 0 && { depends_on: ['slow'] }),
        ...extra,
      },
      { id: 'ship', agent: 'builtin:echo', depends_on: ['pay'], input: { paid: '{{ steps.pay.output.data }}' } },
    ],
  });

  it('parks the run without a slot and resumes it when a matching event arrives', async () => {
    const order = randomUUID();
    const id = await startRun(waitPlan(), { order });
    // The run and its steps are read by two statements: wait for both to show the park.
    const parked = await until(id, (run) => run.status === 'waiting' && stepOf(run, 'pay')?.status === 'waiting', 'the wait step to park');
    expect(stepOf(parked, 'ship').status).toBe('pending');
    await postEvent('payment.received', { order: 'someone-else', amount: 1 });
    await postEvent('invoice.sent', { order });
    expect(stepOf(await runOf(id), 'pay').status).toBe('waiting');
    const event = await postEvent('payment.received', { order, amount: 42 });
    const run = await finished(id);
    expect(run.status).toBe('completed');
    expect(stepOf(run, 'pay').output).toMatchObject({ id: event.body.id, name: 'payment.received', data: { order, amount: 42 } });
    expect(stepOf(run, 'ship').output).toEqual({ paid: { order, amount: 42 } });
    const log = await api('GET', `/api/v1/events/external?name=payment.received&limit=5`);
    const listed = log.body.items.find((e: any) => e.event_id === event.body.event_id);
    expect(listed.runs.resumed).toEqual([{ run_id: id, step_key: 'pay' }]);
  });

  it('counts an event that arrived after the run started but before the wait began (since: run_start), not with since: step_ready', async () => {
    const slow = { id: 'slow', agent: 'builtin:delay', input: { ms: 4000 } };
    const early = randomUUID();
    const runStart = await startRun(waitPlan({}, [slow]), { order: early });
    const late = randomUUID();
    const stepReady = await startRun(waitPlan({ since: 'step_ready', timeout_seconds: 2, on_timeout: 'continue' }, [slow]), { order: late });
    // Both events land while `slow` still runs, before either wait step exists
    await postEvent('payment.received', { order: early });
    await postEvent('payment.received', { order: late });
    const first = await finished(runStart);
    expect(first.status).toBe('completed');
    expect(stepOf(first, 'pay').output.data).toEqual({ order: early });
    const { rows } = await ctx.database.db.query<{ before: boolean }>(
      `select e.created_at < w.created_at as before from event_waits w join external_events e on e.id = w.event_id where w.run_id = $1::uuid`,
      [runStart],
    );
    expect(rows).toEqual([{ before: true }]); // the event was stored before the wait was registered
    const second = await finished(stepReady);
    expect(second.status).toBe('completed');
    expect(stepOf(second, 'pay').output).toEqual({ timed_out: true, event: null });
  });

  it('matches a CEL condition over the event and the run\'s input', async () => {
    const order = randomUUID();
    const id = await startRun(waitPlan({ match: 'event.data.order == input.order && event.data.amount > 10' }), { order });
    await until(id, (run) => stepOf(run, 'pay')?.status === 'waiting', 'the CEL wait to park');
    await postEvent('payment.received', { order, amount: 5 });
    await postEvent('payment.received', { order: 'other', amount: 50 });
    await postEvent('payment.received', { order }); // no amount: the condition errors, which is no match
    expect(stepOf(await runOf(id), 'pay').status).toBe('waiting');
    await postEvent('payment.received', { order, amount: 50 });
    const run = await finished(id);
    expect(stepOf(run, 'pay').output.data).toEqual({ order, amount: 50 });
  });

  it('applies on_timeout: fail fails the run, skip skips the step', async () => {
    const failed = await startRun(waitPlan({ timeout_seconds: 1 }), { order: randomUUID() });
    const skipped = await startRun(waitPlan({ timeout_seconds: 1, on_timeout: 'skip' }), { order: randomUUID() });
    const a = await finished(failed);
    expect(a.status).toBe('failed');
    expect(stepOf(a, 'pay').error).toMatchObject({ code: 'wait_timeout' });
    const b = await finished(skipped);
    expect(b.status).toBe('completed');
    expect(stepOf(b, 'pay').status).toBe('skipped');
    expect(stepOf(b, 'ship').status).toBe('completed'); // dependents of a skipped step go on
  });

  it('refuses bad wait steps and triggers with 400 naming the field', async () => {
    const bad = await api('POST', '/api/v1/definitions', {
      name: 'bad-wait',
      version: '1',
      triggers: [{ event: 'x', input: '{{ steps.a.output }}' }, { match: 3 }, { event: 'y', when: 'nope(' }],
      steps: [
        { id: 'a', type: 'wait', on_timeout: 'explode', since: 'yesterday' },
        { id: 'b', agent: 'builtin:echo', event: 'x' },
        { id: 'c', type: 'wait', event: 'x', match: 'event.data.x >' },
      ],
    });
    expect(bad.status).toBe(400);
    const paths = bad.body.details.map((d: any) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'steps[0].event', 'steps[0].on_timeout', 'steps[0].since', 'steps[1].event', 'steps[2].match',
        'triggers[0].input', 'triggers[1].event', 'triggers[1].match', 'triggers[2].when',
      ]),
    );
  });

  it('wakes a run parked before a restart, from an event posted to another instance', async () => {
    const second = await startTestApp(ctx.database.db, ENV);
    let id: string;
    const order = randomUUID();
    try {
      id = await startRun(waitPlan(), { order }, second.url);
      await until(id, (run) => stepOf(run, 'pay')?.status === 'waiting', 'the wait to park');
    } finally {
      await second.close(); // the instance that parked it is gone
    }
    await ctx.restart();
    await postEvent('payment.received', { order });
    const run = await finished(id);
    expect(run.status).toBe('completed');
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(['step.waiting', 'run.waiting', 'run.resumed', 'run.completed']));
  });

  it('starts exactly one run per event and trigger, even when one event is posted to two instances at once', async () => {
    const name = `triggered-${randomUUID().slice(0, 8)}`;
    const saved = await api('POST', '/api/v1/definitions', {
      name,
      version: '1',
      triggers: [
        { event: 'order.created', match: { priority: 'high' }, input: { order: '{{ input.data.order }}', from: '{{ input.id }}' } },
        { event: 'order.created' },
        { event: 'order.created', when: 'event.data.priority == "high" && event.data.order.startsWith("o-")' },
      ],
      steps: [{ id: 'echo', agent: 'builtin:echo' }],
    });
    expect(saved.status).toBe(201);
    const second = await startTestApp(ctx.database.db, ENV);
    try {
      const high = `evt-${randomUUID()}`;
      const low = `evt-${randomUUID()}`;
      const answers = await Promise.all([
        postEvent('order.created', { order: 'o-1', priority: 'high' }, high),
        postEvent('order.created', { order: 'o-1', priority: 'high' }, high, second.url),
        postEvent('order.created', { order: 'o-2', priority: 'low' }, low, second.url),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 201, 201]);
      const listed = await waitFor(async () => {
        const items = (await api('GET', '/api/v1/events/external?name=order.created&limit=10')).body.items;
        const h = items.find((e: any) => e.id === high);
        const l = items.find((e: any) => e.id === low);
        return h?.runs.started.length === 3 && l?.runs.started.length === 1 ? { h, l } : undefined;
      }, { timeoutMs: 20_000, what: 'the triggered runs' });
      const runs = (await api('GET', `/api/v1/runs?definition=${name}&limit=50`)).body;
      const items = runs.runs ?? runs.items ?? runs;
      expect(items).toHaveLength(4);
      const byTrigger = Object.fromEntries(listed.h.runs.started.map((s: any) => [s.trigger, s.run_id]));
      const mapped = await finished(byTrigger[`${name}#0`]);
      expect(mapped.input).toEqual({ order: 'o-1', from: high });
      const plain = await finished(byTrigger[`${name}#1`]);
      expect(plain.input).toEqual({ order: 'o-1', priority: 'high' });
    } finally {
      await second.close();
    }
  });
});
