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

const READ_TOOLS = ['get_definition', 'get_run', 'list_agents', 'list_approvals', 'list_definitions', 'list_runs', 'validate_plan'];
const CONTROL_TOOLS = ['cancel_run', 'pause_run', 'resume_run', 'retry_step'];

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
      agent: [...READ_TOOLS, 'decide_approval', 'start_run'].sort(),
      operator: [...READ_TOOLS, ...CONTROL_TOOLS, 'decide_approval'].sort(),
      admin: [...READ_TOOLS, ...CONTROL_TOOLS, 'decide_approval', 'start_run'].sort(),
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

  it('asks for a token: 401 without one, 405 for the stateless GET', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const anonymous = await http('POST', `${ctx.url}/mcp`, initialize, { accept: 'application/json, text/event-stream' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="baton"');
    const stream = await http('GET', `${ctx.url}/mcp`, undefined, { authorization: `Bearer ${tokens.viewer}`, accept: 'text/event-stream' });
    expect(stream.status).toBe(405);
  });
});
