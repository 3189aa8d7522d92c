import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { accessRules } from '@baton/identity';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { A2A_ROWS } from './support/access-matrix.js';
import { rpc, sendV10 } from './support/a2a-rpc.js';
import { OWNER_ROWS, type Fixtures, type OwnerProbe } from './support/owner-matrix.js';
import { openSse } from './support/sse-client.js';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'owner-matrix-admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN}` };
const gate = { steps: [{ id: 'wait', type: 'checkpoint', checkpoint: { prompt: 'Go?' } }] };

/**
 * Issue 13's "test it for every route and stream": owner A's (acme) run, approval, definition,
 * webhook, schedule, A2A task and a workflow, probed by an admin token bound to owner B
 * (globex), which passes every role check, so what it gets is the owner rule alone. Every
 * route of the access policy must have a row in `support/owner-matrix.ts`.
 */
describe.each(testDatabaseKinds())('owner matrix on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLICY_POLL_MS: '60000' });
  const tokens: Record<string, string> = {};
  const f = {} as Fixtures;
  /** Ids of nothing: what a truly missing object answers. */
  const ghost: Fixtures = {
    run: randomUUID(), step: 'wait', approval: randomUUID(), definition: 'no-such-definition', webhook: randomUUID(),
    delivery: randomUUID(), schedule: randomUUID(), task: randomUUID(), workflow: randomUUID(), session: 'no-such-session',
  };
  let globexRun = '';
  let before: unknown;

  const as = (who: string, method: string, path: string, body?: unknown) => http(method, `${ctx.url}${path}`, body, { authorization: `Bearer ${tokens[who]}` });

  /** What an admin sees of A's objects: nothing of it may change under B's probes. */
  const snapshot = async () => {
    const read = async (path: string) => (await http('GET', `${ctx.url}${path}`, undefined, admin)).body;
    const run = await read(`/api/v1/runs/${f.run}`);
    const approval = await read(`/api/v1/approvals/${f.approval}`);
    const webhook = await read(`/api/v1/webhooks/${f.webhook}`);
    const schedule = await read(`/api/v1/schedules/${f.schedule}`);
    const task = await read(`/api/v1/runs/${f.task}`);
    const definitions = await read('/api/v1/definitions?limit=100');
    const schedules = await read('/api/v1/schedules');
    return {
      run: [run.status, run.steps.map((s: { status: string }) => s.status)],
      approval: approval.status,
      webhook: [webhook.owner, webhook.active, webhook.url],
      schedule: [schedule.paused, schedule.note ?? null, schedule.name],
      task: task.status,
      definitions: definitions.items.map((d: { owner: string; name: string; version: string }) => `${d.owner}/${d.name}@${d.version}`).sort(),
      schedules: schedules.schedules.map((s: { name: string }) => s.name).sort(),
    };
  };

  beforeAll(async () => {
    for (const [name, role, owner] of [['acme', 'admin', 'acme'], ['acme-agent', 'agent', 'acme'], ['globex', 'admin', 'globex']]) {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name: `om-${name}`, role, owner }, admin);
      expect(created.status).toBe(201);
      tokens[name] = created.body.token;
    }
    const definition = await as('acme', 'POST', '/api/v1/definitions', { name: 'tenancy-def', version: '1', ...gate });
    expect([definition.status, definition.body.owner]).toEqual([201, 'acme']);
    f.definition = 'tenancy-def';
    const run = await as('acme', 'POST', '/api/v1/runs', { definition: { name: 'tenancy-def' } });
    expect([run.status, run.body.owner]).toEqual([201, 'acme']);
    f.run = run.body.id;
    f.step = 'wait';
    f.approval = await waitFor(async () => (await as('acme', 'GET', `/api/v1/approvals?runId=${f.run}`)).body.approvals[0]?.id, { what: 'the approval' });
    const webhook = await as('acme', 'POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/acme', active: false });
    expect([webhook.status, webhook.body.owner]).toEqual([201, 'acme']);
    f.webhook = webhook.body.id;
    f.delivery = randomUUID();
    const schedule = await as('acme', 'POST', '/api/v1/schedules', { name: 'acme-nightly', definition: 'tenancy-def', cron: '0 3 * * *', note: 'acme' });
    expect(schedule.status).toBe(201);
    f.schedule = schedule.body.id;
    const sent = await rpc(ctx.url, tokens['acme-agent'], 'SendMessage', sendV10({ plan: gate }));
    expect(sent.body.result.task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    f.task = sent.body.result.task.id;
    const workflow = await http('POST', `${ctx.url}/api/v1/workflows`, {
      workflow: { name: 'tenancy-flow', version: '1', orchestration_pattern: 'sequential', agents: [{ type: 'builtin:echo' }], tasks: [{ id: 'a', agent: 'builtin:echo' }] },
    }, admin);
    expect(workflow.status).toBe(201);
    f.workflow = workflow.body.workflow_id ?? workflow.body.id;
    const session = await as('acme', 'POST', '/api/v1/sessions', { id: 'acme-session', definition: { name: 'tenancy-def' } });
    expect(session.status).toBe(201);
    f.session = 'acme-session';
    // B's own run comes after all of A's events: a feed read up to it has passed A's.
    const mine = await as('globex', 'POST', '/api/v1/runs', { plan: gate });
    expect([mine.status, mine.body.owner]).toEqual([201, 'globex']);
    globexRun = mine.body.id;
    before = await snapshot();
  });

  const rowKey = (rule: { method: string; pattern: string }) => `${rule.method} ${rule.pattern}`;

  it('classifies every route of the access policy', () => {
    const unclassified = accessRules().map(rowKey).filter((key) => !(key in OWNER_ROWS));
    expect(unclassified).toEqual([]);
  });

  const probes = Object.entries(OWNER_ROWS).filter(([, probe]) => probe.kind === 'missing' || probe.kind === 'absent' || probe.kind === 'refused');

  /** The body of an answer with A's and the ghost's ids replaced, so the two compare. */
  const normalized = (body: unknown, ids: Fixtures) =>
    JSON.parse(Object.values(ids).reduce((text: string, id: string) => text.split(id).join('<id>'), JSON.stringify(body ?? null)));

  it.each(probes)('%s', async (key, probe: OwnerProbe) => {
    const method = key.split(' ')[0]!;
    if (probe.kind === 'missing') {
      const body = probe.body ? probe.body(f) : undefined;
      const got = await as('globex', method, probe.path(f), body);
      const truly = await as('globex', method, probe.path(ghost), probe.body ? probe.body(ghost) : undefined);
      expect({ key, status: got.status }).toEqual({ key, status: 404 });
      expect(normalized(got.body, f)).toEqual(normalized(truly.body, ghost));
    } else if (probe.kind === 'absent') {
      const got = await as('globex', 'GET', probe.path(f));
      expect(got.status).toBe(200);
      expect(probe.ids(got.body)).not.toContain(probe.target(f));
      // The probe can fail: the owner sees it in the same list.
      expect(probe.ids((await as('acme', 'GET', probe.path(f))).body)).toContain(probe.target(f));
    } else if (probe.kind === 'refused') {
      const got = await as('globex', method, probe.path(f), probe.body(f));
      expect({ key, status: got.status }).toEqual({ key, status: 403 });
    }
  });

  it('the workflow socket refuses a bound token\'s upgrade with 404', async () => {
    const status = (token: string) => new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${ctx.url.replace('http', 'ws')}/ws/workflows/${f.workflow}?access_token=${token}`);
      ws.on('open', () => (resolve(101), ws.terminate()));
      ws.on('unexpected-response', (_req, res) => (resolve(res.statusCode ?? 0), ws.terminate()));
      ws.on('error', reject);
    });
    expect(await status(tokens.globex!)).toBe(404);
    // The probe can fail: an unbound admin opens it.
    expect(await status(ADMIN)).toBe(101);
  });

  it('A2A JSON-RPC: every task method answers task-not-found to another owner, in both dialects', async () => {
    const got: Record<string, number | string> = {};
    for (const row of A2A_ROWS.filter((r) => r.expect.other !== 'ok')) {
      const name = `${row.version} ${row.method}${JSON.stringify(row.params('x')).includes('decision') ? ' (decision)' : ''}`;
      const answer = await rpc(ctx.url, tokens.globex, row.method, row.params(f.task), row.version);
      got[name] = answer.body.error?.code ?? 'ok';
    }
    expect(Object.values(got).every((code) => code === -32001)).toBe(true);
    expect(Object.keys(got).length).toBeGreaterThan(10);
    const listed = await rpc(ctx.url, tokens.globex, 'ListTasks', { pageSize: 100 });
    expect((listed.body.result.tasks as { id: string }[]).map((t) => t.id)).not.toContain(f.task);
    const rest = await as('globex', 'GET', '/a2a/v1/tasks');
    expect(rest.status).toBe(200);
    expect(JSON.stringify(rest.body)).not.toContain(f.task);
    // A bound agent's send starts a task of its own owner.
    const started = await rpc(ctx.url, tokens.globex, 'SendMessage', sendV10({ plan: gate }));
    expect((await http('GET', `${ctx.url}/api/v1/runs/${started.body.result.task.id}`, undefined, admin)).body.owner).toBe('globex');
  });

  it('the all-runs SSE feed and WebSocket carry only the bound owner\'s events', async () => {
    const sse = await openSse(`${ctx.url}/api/v1/events`, { authorization: `Bearer ${tokens.globex}` });
    try {
      expect(sse.status).toBe(200);
      const { frames } = await sse.collect((frame) => frame.data.runId === globexRun, 15_000);
      expect(frames.at(-1)?.data.runId).toBe(globexRun);
      expect(frames.filter((frame) => frame.data.runId !== globexRun && frame.data.runId !== undefined).map((fr) => fr.data.runId)).toEqual([]);
    } finally {
      sse.close();
    }
    const socket = new WebSocket(`${ctx.url.replace(/^http/, 'ws')}/api/v1/ws`, { headers: { authorization: `Bearer ${tokens.globex}` } });
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    try {
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ subscribe: { runId: f.run } }));
      socket.send(JSON.stringify({ subscribe: {} }));
      await waitFor(() => messages.some((m) => m.event?.runId === globexRun), { what: 'B\'s run on the socket' });
      await waitFor(() => messages.some((m) => m.error), { what: 'the refusal of A\'s run' });
      expect(messages.find((m) => m.error).error).toMatchObject({ code: 'not_found', runId: f.run });
      expect(messages.filter((m) => m.event && m.event.runId !== globexRun && messages.indexOf(m) < messages.findIndex((x) => x.event?.runId === globexRun))).toEqual([]);
      expect(messages.filter((m) => m.event?.runId === f.run || m.event?.runId === f.task)).toEqual([]);
    } finally {
      socket.close();
    }
  });

  it('bulk retries leave another owner\'s runs alone', async () => {
    const steps = await as('globex', 'GET', '/api/v1/steps');
    expect(steps.status).toBe(200);
    expect(steps.body.steps.map((s: { runId: string }) => s.runId)).not.toContain(f.run);
    const one = await as('globex', 'POST', '/api/v1/steps/retry', { steps: [{ runId: f.run, stepId: 'wait' }] });
    expect(one.status).toBe(200);
    expect(one.body.retried).toBe(0);
    const byFilter = await as('globex', 'POST', '/api/v1/runs/retry', { status: 'failed', definition: 'tenancy-def' });
    expect(byFilter.status).toBe(200);
    expect(byFilter.body.retried).toBe(0);
  });

  it('MCP tools reach only the bound owner', async () => {
    const client = new Client({ name: 'owner-matrix', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${ctx.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${tokens.globex}` } } }));
    try {
      const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
      for (const [tool, args] of [
        ['get_run', { runId: f.run }], ['wait_for_run', { runId: f.run, timeoutSeconds: 1 }], ['cancel_run', { runId: f.run }],
        ['pause_run', { runId: f.run }], ['resume_run', { runId: f.run }], ['retry_step', { runId: f.run, stepId: 'wait' }],
        ['decide_approval', { approvalId: f.approval, decision: 'approve' }], ['get_schedule', { scheduleId: f.schedule }],
        ['schedule_history', { scheduleId: f.schedule }], ['trigger_schedule', { scheduleId: f.schedule }], ['pause_schedule', { scheduleId: f.schedule }],
        ['delete_schedule', { scheduleId: f.schedule }], ['update_schedule', { scheduleId: f.schedule, changes: { note: 'x' } }],
      ] as const) {
        const result = await call(tool, args);
        expect({ tool, isError: result.isError, text: JSON.stringify(result.content) }).toMatchObject({ tool, isError: true, text: expect.stringMatching(/not found/) });
      }
      const text = async (tool: string) => JSON.stringify((await call(tool, {})).structuredContent);
      expect(await text('list_runs')).not.toContain(f.run);
      expect(await text('list_approvals')).not.toContain(f.approval);
      expect(await text('list_schedules')).not.toContain(f.schedule);
      expect(await text('list_definitions')).not.toContain('"acme"');
      await expect(client.readResource({ uri: `baton://runs/${f.run}` })).rejects.toThrow(/not found/);
      expect(JSON.stringify(await client.listResources())).not.toContain(f.run);
    } finally {
      await client.close();
    }
  });

  it('leaves every one of owner A\'s objects as it was', async () => {
    expect(await snapshot()).toEqual(before);
  });
});
