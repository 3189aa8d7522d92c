import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'mcp-test-admin-token-0123456789abcdef';
const echoPlan = { steps: [{ id: 'say', agent: 'builtin:echo', input: { hello: '{{ input.name }}' } }] };
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish?' } },
  ],
};

const READ_TOOLS = [
  'get_definition', 'get_run', 'get_schedule', 'list_agents', 'list_approvals', 'list_definitions', 'list_runs', 'list_schedules',
  'schedule_history', 'validate_plan', 'wait_for_run',
].sort();
const CONTROL_TOOLS = ['cancel_run', 'pause_run', 'pause_schedule', 'resume_run', 'retry_step', 'skip_next_fire', 'trigger_schedule', 'unpause_schedule'];
const SUBMIT_TOOLS = ['ack_message', 'decide_approval', 'publish_event', 'receive_messages', 'send_message', 'start_run'];
const ADMIN_TOOLS = ['create_schedule', 'delete_schedule', 'update_schedule'];

/**
 * The MCP door, driven by the official SDK's client over Streamable HTTP against a real
 * server: tools per role, a run started and followed, refusals and bad arguments as tool
 * errors (never a transport failure).
 */
describe.each(testDatabaseKinds())('MCP tool interface on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLL_INTERVAL_MS: '200' });
  const tokens: Record<string, string> = { admin: ADMIN };
  const clients: Client[] = [];

  beforeAll(async () => {
    for (const role of ['viewer', 'agent', 'operator']) {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name: `mcp-${role}`, role }, { authorization: `Bearer ${ADMIN}` });
      expect(created.status).toBe(201);
      tokens[role] = created.body.token;
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
  });

  async function connect(role: string): Promise<Client> {
    const client = new Client({ name: `baton-test-${role}`, version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${ctx.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${tokens[role]}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    return (await client.callTool({ name, arguments: args })) as CallToolResult;
  }

  const textOf = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');

  it('lists to each role only the tools it may use', async () => {
    const listed: Record<string, string[]> = {};
    for (const role of ['viewer', 'agent', 'operator', 'admin']) {
      const { tools } = await (await connect(role)).listTools();
      listed[role] = tools.map((tool) => tool.name).sort();
      for (const tool of tools) {
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.outputSchema?.type).toBe('object');
        expect(tool.description?.length).toBeGreaterThan(20);
      }
    }
    expect(listed).toEqual({
      viewer: READ_TOOLS,
      agent: [...READ_TOOLS, ...SUBMIT_TOOLS].sort(),
      operator: [...READ_TOOLS, ...CONTROL_TOOLS, 'decide_approval'].sort(),
      admin: [...READ_TOOLS, ...CONTROL_TOOLS, ...SUBMIT_TOOLS, ...ADMIN_TOOLS].sort(),
    });
  });

  it('starts a run of an inline plan and follows it to its output', async () => {
    const agent = await connect('agent');
    const started = await call(agent, 'start_run', { plan: echoPlan, input: { name: 'Ada' }, idempotencyKey: 'mcp-follow' });
    expect(started.isError).toBeFalsy();
    const run = (started.structuredContent as any).run;
    expect((started.structuredContent as any).created).toBe(true);
    expect(run.steps.map((step: any) => step.id)).toEqual(['say']);

    const finished = await waitFor(async () => {
      const got = (await call(agent, 'get_run', { runId: run.id })).structuredContent as any;
      return got.run.status === 'completed' ? got.run : undefined;
    }, { what: `run ${run.id} completed over MCP` });
    expect(finished.progress).toMatchObject({ done: 1, total: 1, percent: 100 });
    expect(JSON.stringify(finished.output)).toContain('Ada');

    // The same idempotency key: the first run, not a second one.
    const again = await call(agent, 'start_run', { plan: echoPlan, input: { name: 'Ada' }, idempotencyKey: 'mcp-follow' });
    expect(again.structuredContent).toMatchObject({ created: false, run: { id: run.id } });
    // The run belongs to the token that started it, as over REST.
    const listed = (await call(agent, 'list_runs', { limit: 10 })).structuredContent as any;
    expect(listed.runs.map((r: any) => r.id)).toContain(run.id);
  });

  it('refuses a tool the role may not use, and creates nothing', async () => {
    const viewer = await connect('viewer');
    const before = (await http('GET', `${ctx.url}/api/v1/runs?limit=500`, undefined, { authorization: `Bearer ${ADMIN}` })).body.runs.length;
    const refused = await call(viewer, 'start_run', { plan: echoPlan });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^forbidden: token mcp-viewer \(viewer\) may not call start_run: it needs runs.submit/);
    const after = (await http('GET', `${ctx.url}/api/v1/runs?limit=500`, undefined, { authorization: `Bearer ${ADMIN}` })).body.runs.length;
    expect(after).toBe(before);
    const unknown = await call(viewer, 'drop_database', {});
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toBe('not_found: no tool named drop_database');
  });

  it('lets an operator decide an approval that the submitting agent may not pass', async () => {
    const agent = await connect('agent');
    const operator = await connect('operator');
    const run = ((await call(agent, 'start_run', { plan: reviewPlan })).structuredContent as any).run;
    const approval = await waitFor(async () => {
      const listed = (await call(operator, 'list_approvals', { runId: run.id, status: 'pending' })).structuredContent as any;
      return listed.approvals[0];
    }, { what: 'a pending approval' });

    // decide_approval is listed for agents (their agents' questions), but a human gate is the approvals service's to refuse.
    const refused = await call(agent, 'decide_approval', { approvalId: approval.id, decision: 'approve' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^forbidden: token mcp-agent \(agent\) may not decide a checkpoint approval/);

    const decided = await call(operator, 'decide_approval', { approvalId: approval.id, decision: 'approve', comment: 'ship it' });
    expect(decided.structuredContent).toMatchObject({ approval: { status: 'approved', decision: 'approve', comment: 'ship it' } });
    await waitFor(async () => ((await call(agent, 'get_run', { runId: run.id })).structuredContent as any).run.status === 'completed' || undefined, {
      what: 'the approved run completed',
    });
  });

  it('lets an operator pause, resume and cancel a run, and refuses those tools to agents', async () => {
    const agent = await connect('agent');
    const operator = await connect('operator');
    const run = ((await call(agent, 'start_run', { plan: reviewPlan })).structuredContent as any).run;
    expect(textOf(await call(agent, 'cancel_run', { runId: run.id }))).toMatch(/^forbidden: .* needs runs.control/);
    const paused = await call(operator, 'pause_run', { runId: run.id });
    expect(paused.structuredContent).toMatchObject({ run: { id: run.id, status: 'paused' } });
    expect((await call(operator, 'resume_run', { runId: run.id })).isError).toBeFalsy();
    const cancelled = await call(operator, 'cancel_run', { runId: run.id });
    expect(cancelled.structuredContent).toMatchObject({ run: { id: run.id, status: 'cancelled' } });
    // A run that is over cannot be resumed: the run service's answer, as a tool error.
    expect(textOf(await call(operator, 'resume_run', { runId: run.id }))).toMatch(/^invalid_state: cannot resume run .*: it is already cancelled/);
  });

  it('answers bad arguments with a tool error naming the field', async () => {
    const admin = await connect('admin');
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['get_run', { runId: 'not-a-uuid' }, /^validation: runId: must match format "uuid"$/],
      ['get_run', {}, /^validation: runId: is required$/],
      ['start_run', { plna: {} }, /^validation: plna: is not a known argument$/],
      ['start_run', { input: {} }, /^validation: definition: give exactly one of definition or plan$/],
      ['start_run', { plan: { steps: [{ id: 'x', agent: 'builtin:echo', depends_on: ['nope'] }] } }, /^validation: steps\[0\]\.depends_on\[0\]: unknown step "nope"$/],
      ['decide_approval', { approvalId: crypto.randomUUID(), decision: 'maybe' }, /^validation: decision: must be equal to one of the allowed values$/],
      ['list_runs', { limit: 0 }, /^validation: limit: must be >= 1$/],
      ['get_run', { runId: crypto.randomUUID() }, /^not_found: run .* was not found$/],
    ];
    for (const [name, args, expected] of cases) {
      const result = await call(admin, name, args);
      expect({ name, args, isError: result.isError, text: textOf(result) }).toEqual({ name, args, isError: true, text: expect.stringMatching(expected) });
    }
    const checked = (await call(admin, 'validate_plan', { plan: { steps: [{ id: 'a', agent: 'ghost' }] } })).structuredContent as any;
    expect(checked).toEqual({ valid: false, errors: [{ path: 'steps[0].agent', message: 'agent "ghost" is not registered' }] });
  });

  it('streams progress notifications of a run to a client that asks for them', async () => {
    const agent = await connect('agent');
    const plan = { steps: [1, 2, 3].map((n) => ({ id: `wait${n}`, agent: 'builtin:delay', input: { ms: 300 }, ...(n > 1 ? { depends_on: [`wait${n - 1}`] } : {}) })) };
    const run = ((await call(agent, 'start_run', { plan })).structuredContent as any).run;
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    const waited = (await agent.callTool({ name: 'wait_for_run', arguments: { runId: run.id, timeoutSeconds: 60 } }, undefined, {
      onprogress: (p) => progress.push(p),
    })) as CallToolResult;
    expect(waited.structuredContent).toMatchObject({ settled: true, run: { id: run.id, status: 'completed' } });
    // At least the start and the end; each report counts steps done of 3, never going back.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toMatchObject({ progress: 3, total: 3, message: expect.stringContaining('3 of 3 steps done') });
    const counts = progress.map((p) => p.progress);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // Without a progress token the same tool answers plain JSON, with no notifications.
    const quiet = await call(agent, 'wait_for_run', { runId: run.id });
    expect(quiet.structuredContent).toMatchObject({ settled: true });
  });

  it('serves runs and definitions as resources, to roles that may read', async () => {
    const admin = await connect('admin');
    const saved = await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'mcp-resource', version: '1.0.0', ...echoPlan }, { authorization: `Bearer ${ADMIN}` });
    expect(saved.status).toBe(201);
    const run = ((await call(admin, 'start_run', { definition: { name: 'mcp-resource' }, input: { name: 'Grace' } })).structuredContent as any).run;
    const { resources } = await admin.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining([`baton://runs/${run.id}`, 'baton://definitions/mcp-resource']));
    const { resourceTemplates } = await admin.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['baton://runs/{runId}', 'baton://definitions/{name}', 'baton://definitions/{name}/versions/{version}']);

    const read = await admin.readResource({ uri: `baton://runs/${run.id}` });
    expect(read.contents[0]).toMatchObject({ uri: `baton://runs/${run.id}`, mimeType: 'application/json' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ id: run.id, definition: { name: 'mcp-resource' } });
    const definition = await admin.readResource({ uri: 'baton://definitions/mcp-resource/versions/1.0.0' });
    expect(JSON.parse((definition.contents[0] as { text: string }).text)).toMatchObject({ name: 'mcp-resource', version: '1.0.0' });
    await expect(admin.readResource({ uri: `baton://runs/${crypto.randomUUID()}` })).rejects.toThrow(/was not found/);
    await expect(admin.readResource({ uri: 'baton://nothing/here' })).rejects.toThrow(/no resource at baton:\/\/nothing\/here/);
  });

  it('manages schedules by role: admins create and delete, operators steer, viewers read', async () => {
    const admin = await connect('admin');
    const operator = await connect('operator');
    const viewer = await connect('viewer');
    const schedule = { name: 'mcp-nightly', plan: echoPlan, input: { name: 'Night' }, cron: '0 6 * * *', timezone: 'Europe/Paris' };
    expect(textOf(await call(operator, 'create_schedule', { schedule }))).toMatch(/^forbidden: .* needs admin/);
    const created = (await call(admin, 'create_schedule', { schedule })).structuredContent as any;
    expect(created.schedule).toMatchObject({ name: 'mcp-nightly', timezone: 'Europe/Paris', paused: false });
    expect(created.schedule.next_fire_times).toHaveLength(5);
    const id = created.schedule.id;
    const bad = await call(admin, 'create_schedule', { schedule: { ...schedule, name: 'mcp-bad', timezone: 'Mars/Olympus' } });
    expect(textOf(bad)).toMatch(/^validation: timezone: /);

    expect((await call(operator, 'pause_schedule', { scheduleId: id, note: 'quiet week' })).structuredContent).toMatchObject({ schedule: { paused: true, pause_note: 'quiet week' } });
    const fired = (await call(operator, 'trigger_schedule', { scheduleId: id })).structuredContent as any;
    expect(fired.fire).toMatchObject({ kind: 'trigger' });
    const history = await waitFor(async () => {
      const fires = ((await call(viewer, 'schedule_history', { scheduleId: id })).structuredContent as any).fires;
      return fires[0]?.run_status === 'completed' ? fires : undefined;
    }, { what: 'the triggered fire completed' });
    expect(history[0]).toMatchObject({ kind: 'trigger', status: 'started' });
    expect(((await call(admin, 'update_schedule', { scheduleId: id, changes: { note: 'via MCP' } })).structuredContent as any).schedule.note).toBe('via MCP');
    expect(((await call(viewer, 'list_schedules')).structuredContent as any).schedules.map((s: any) => s.name)).toContain('mcp-nightly');
    expect(textOf(await call(viewer, 'delete_schedule', { scheduleId: id }))).toMatch(/^forbidden:/);
    expect((await call(admin, 'delete_schedule', { scheduleId: id })).structuredContent).toEqual({ deleted: id });
    expect(textOf(await call(viewer, 'get_schedule', { scheduleId: id }))).toMatch(/^not_found:/);
  });

  it('sends, receives and acknowledges a message, and publishes an event, as the calling agent', async () => {
    const agent = await connect('agent');
    const type = await http('POST', `${ctx.url}/api/v1/message-types`, { name: 'mcp.note', schema: { type: 'object', required: ['text'] } }, { authorization: `Bearer ${ADMIN}` });
    expect(type.status).toBe(201);
    const refused = await call(agent, 'send_message', { kind: 'event', type: 'mcp.note', to: { agent: 'mcp-agent' }, payload: { words: 1 } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^validation: .*text/);
    const sent = (await call(agent, 'send_message', { kind: 'event', type: 'mcp.note', to: { agent: 'mcp-agent' }, payload: { text: 'hello me' } })).structuredContent as any;
    expect(sent.recipients).toEqual(['mcp-agent']);
    const received = (await call(agent, 'receive_messages', { waitSeconds: 5 })).structuredContent as any;
    expect(received.items).toHaveLength(1);
    expect(received.items[0].message).toMatchObject({ from: 'mcp-agent', payload: { text: 'hello me' } });
    expect((await call(agent, 'ack_message', { deliveryId: received.items[0].delivery_id })).structuredContent).toMatchObject({ status: 'acked' });
    expect(((await call(agent, 'receive_messages', {})).structuredContent as any).items).toEqual([]);

    const event = (await call(agent, 'publish_event', { name: 'invoice.paid', data: { invoice: 7 }, id: 'inv-7' })).structuredContent as any;
    expect(event).toMatchObject({ created: true, event: { name: 'invoice.paid' } });
    expect(((await call(agent, 'publish_event', { name: 'invoice.paid', data: { invoice: 7 }, id: 'inv-7' })).structuredContent as any).created).toBe(false);
    const viewer = await connect('viewer');
    expect(textOf(await call(viewer, 'send_message', { kind: 'event', type: 'mcp.note', payload: {} }))).toMatch(/^forbidden:/);
  });

  it('asks for a token: 401 without one, 405 for the stateless GET', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const anonymous = await http('POST', `${ctx.url}/mcp`, initialize, { accept: 'application/json, text/event-stream' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="baton"');
    const stream = await http('GET', `${ctx.url}/mcp`, undefined, { authorization: `Bearer ${tokens.viewer}`, accept: 'text/event-stream' });
    expect(stream.status).toBe(405);
  });
});
