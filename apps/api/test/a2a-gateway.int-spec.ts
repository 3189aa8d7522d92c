import { randomUUID } from 'node:crypto';
import { Role, TaskState, type Message, type Part, type StreamResponse, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { testDatabaseKinds } from '@baton/testing';
import { checkV03, checkV10 } from '../../../libs/a2a/src/testing/a2a-schemas.js';
import { recordingFetch, resultsOf, type Exchange } from '../../../libs/a2a/src/testing/recording-fetch.js';
import { http, useTestServer } from './support/test-app.js';

const data = (value: unknown): Part => ({ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: '' });
const text = (value: string): Part => ({ content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: '' });
const message = (parts: Part[], extra: Partial<Message> = {}): Message => ({
  messageId: randomUUID(),
  contextId: '',
  taskId: '',
  role: Role.ROLE_USER,
  parts,
  metadata: undefined,
  extensions: [],
  referenceTaskIds: [],
  ...extra,
});
const send = (msg: Message, returnImmediately = false) => ({
  tenant: '',
  message: msg,
  configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately },
  metadata: undefined,
});

const quickPlan = { steps: [{ id: 'greet', agent: 'builtin:transform', input: { greeting: 'hello {{ input.name }}' } }] };
const slowPlan = (ms: number) => ({ steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms, output: { waited: ms } } }] });
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish {{ steps.draft.output.title }}?', allow_edit: true } },
    { id: 'publish', agent: 'builtin:transform', depends_on: ['review'], input: { published: '{{ steps.review.output }}' } },
  ],
};

function asTask(result: unknown): Task {
  if (!result || !('status' in (result as object))) throw new Error(`expected a task, got ${JSON.stringify(result)}`);
  return result as Task;
}

async function collect(stream: AsyncGenerator<StreamResponse>): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Every JSON-RPC result Baton sent in these exchanges, checked against the v1.0 schema. */
async function expectWireValid(exchanges: Exchange[]): Promise<void> {
  const messages: Record<string, string> = { SendMessage: 'SendMessageResponse', SendStreamingMessage: 'StreamResponse', SubscribeToTask: 'StreamResponse', GetTask: 'Task', CancelTask: 'Task', ListTasks: 'ListTasksResponse' };
  for (const exchange of exchanges) {
    expect(exchange.headers['a2a-version']).toBe('1.0');
    const schema = messages[exchange.method];
    if (!schema) continue;
    for (const result of await resultsOf(exchange)) expect(checkV10(schema, result)).toEqual([]);
  }
}

describe.each(testDatabaseKinds())('the A2A gateway, driven by the v1.0 SDK client, on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200' });
  let client: Client;
  let wire: ReturnType<typeof recordingFetch>;

  beforeAll(async () => {
    const saved = await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'greeter', version: '1.0.0', description: 'Greets someone', steps: quickPlan.steps });
    expect(saved.status).toBe(201);
    wire = recordingFetch();
    const factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl: wire.fetch })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl: wire.fetch }),
      }),
    );
    client = await factory.createFromUrl(ctx.url);
  });

  afterEach(async () => {
    await expectWireValid(wire.exchanges.splice(0));
  });

  it('serves a v1.0 card with a skill per saved definition, cached by ETag', async () => {
    expect(client.protocolVersion).toBe('1.0');
    const v1 = await http('GET', `${ctx.url}/.well-known/agent-card.json`, undefined, { 'A2A-Version': '1.0' });
    expect(checkV10('AgentCard', v1.body)).toEqual([]);
    expect(checkV10('Task', { id: 'x', state: 'done' })).not.toEqual([]); // the validator does reject
    expect(v1.body.supportedInterfaces[0]).toEqual({ url: `${ctx.url}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' });
    expect(v1.body.capabilities).toMatchObject({ streaming: true, pushNotifications: true });
    expect(v1.body.skills.map((s: any) => s.id)).toEqual(['greeter', 'orchestrate-plan']);
    expect(v1.body.securitySchemes.bearer.httpAuthSecurityScheme.scheme).toBe('Bearer');
    expect(v1.headers.get('cache-control')).toContain('max-age');
    const again = await fetch(`${ctx.url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0', 'If-None-Match': v1.headers.get('etag')! } });
    expect(again.status).toBe(304);

    const v03 = await http('GET', `${ctx.url}/.well-known/agent-card.json`);
    expect(checkV03('AgentCard', v03.body)).toEqual([]);
    expect(v03.body).toMatchObject({ protocolVersion: '0.3.0', url: `${ctx.url}/a2a`, preferredTransport: 'JSONRPC' });
    expect(v03.headers.get('etag')).not.toBe(v1.headers.get('etag'));
  });

  it('runs an inline plan and answers when it completed, outputs as artifacts', async () => {
    const task = asTask(await client.sendMessage(send(message([data({ plan: quickPlan, input: { name: 'Ada' } })], { contextId: 'ctx-1' }))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(task.contextId).toBe('ctx-1');
    expect(task.artifacts).toHaveLength(1);
    expect(task.artifacts[0]).toMatchObject({ artifactId: 'greet', name: 'greet' });
    expect(task.artifacts[0]!.parts[0]!.content).toEqual({ $case: 'data', value: { greeting: 'hello Ada' } });
    const run = await http('GET', `${ctx.url}/api/v1/runs/${task.id}`);
    expect(run.body).toMatchObject({ status: 'completed', metadata: { contextId: 'ctx-1' } });
  });

  it('runs a saved definition asked for as a skill by its name', async () => {
    const task = asTask(await client.sendMessage(send(message([text('greeter'), data({ name: 'Grace' })]))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(task.artifacts[0]!.parts[0]!.content).toEqual({ $case: 'data', value: { greeting: 'hello Grace' } });
    const byRef = asTask(await client.sendMessage(send(message([data({ definition: { name: 'greeter', version: '1.0.0' }, input: { name: 'Alan' } })]))));
    expect(byRef.artifacts[0]!.parts[0]!.content).toEqual({ $case: 'data', value: { greeting: 'hello Alan' } });
  });

  it('returns at once when asked to, and the task can be read and listed', async () => {
    const started = asTask(await client.sendMessage(send(message([data({ plan: slowPlan(300), input: {} })]), true)));
    expect([TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]).toContain(started.status?.state);
    let task = started;
    for (let i = 0; i < 100 && task.status?.state !== TaskState.TASK_STATE_COMPLETED; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      task = await client.getTask({ tenant: '', id: started.id });
    }
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(task.artifacts[0]!.parts[0]!.content).toEqual({ $case: 'data', value: { waited: 300 } });
    const listed = await client.listTasks({ tenant: '', contextId: '', status: TaskState.TASK_STATE_COMPLETED, pageSize: 100, pageToken: '', statusTimestampAfter: undefined, includeArtifacts: true });
    expect(listed.tasks.map((t) => t.id)).toContain(started.id);
  });

  it('cancels a running task, and refuses to cancel it twice', async () => {
    const started = asTask(await client.sendMessage(send(message([data({ plan: slowPlan(20_000) })]), true)));
    const cancelled = await client.cancelTask({ tenant: '', id: started.id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await expect(client.cancelTask({ tenant: '', id: started.id, metadata: undefined })).rejects.toMatchObject({ name: 'TaskNotCancelableError' });
    await expect(client.getTask({ tenant: '', id: randomUUID() })).rejects.toMatchObject({ name: 'TaskNotFoundError' });
  });

  it('streams a send: the task, status updates, the artifacts, then the final status', async () => {
    const plan = {
      steps: [
        { id: 'first', agent: 'builtin:delay', input: { ms: 200, output: 1 } },
        { id: 'second', agent: 'builtin:delay', depends_on: ['first'], input: { ms: 200, output: { n: 2 } } },
      ],
    };
    const events = await collect(client.sendMessageStream(send(message([data({ plan })]))));
    expect(events[0]!.payload?.$case).toBe('task');
    const last = events[events.length - 1]!;
    expect(last.payload?.$case).toBe('statusUpdate');
    expect(last.payload?.$case === 'statusUpdate' && last.payload.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const artifacts = events.filter((e) => e.payload?.$case === 'artifactUpdate');
    expect(artifacts.map((e) => e.payload?.$case === 'artifactUpdate' && e.payload.value.artifact?.parts[0]?.content)).toEqual([{ $case: 'data', value: { n: 2 } }]);
    const states = events.flatMap((e) => (e.payload?.$case === 'statusUpdate' ? [e.payload.value.status?.state] : []));
    expect(states).toContain(TaskState.TASK_STATE_WORKING);
  });

  it('resubscribes to a running task and sees it finish', async () => {
    const started = asTask(await client.sendMessage(send(message([data({ plan: slowPlan(800) })]), true)));
    const events = await collect(client.resubscribeTask({ tenant: '', id: started.id }));
    expect(events[0]!.payload?.$case).toBe('task');
    const last = events[events.length - 1]!;
    expect(last.payload?.$case === 'statusUpdate' && last.payload.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    await expect(collect(client.resubscribeTask({ tenant: '', id: started.id }))).rejects.toMatchObject({ name: 'UnsupportedOperationError' });
  });

  it('stops at a checkpoint as INPUT_REQUIRED and continues with a decision sent to the task', async () => {
    const waiting = asTask(await client.sendMessage(send(message([data({ plan: reviewPlan })]))));
    expect(waiting.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(waiting.status?.message?.parts[0]?.content).toEqual({ $case: 'text', value: 'Publish Tides?' });
    const done = asTask(
      await client.sendMessage(send(message([data({ decision: 'approve', payload: { title: 'Tides, briefly' }, comment: 'ok' })], { taskId: waiting.id, contextId: waiting.contextId }))),
    );
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(done.artifacts[0]!.parts[0]!.content).toEqual({ $case: 'data', value: { published: { title: 'Tides, briefly' } } });
    const approvals = await http('GET', `${ctx.url}/api/v1/approvals?runId=${waiting.id}`);
    expect(approvals.body.approvals[0]).toMatchObject({ status: 'approved', comment: 'ok' });
    await expect(client.sendMessage(send(message([data({ decision: 'approve' })], { taskId: waiting.id })))).rejects.toMatchObject({ name: 'UnsupportedOperationError' });
  });

  it('streams a checkpoint: the stream ends at INPUT_REQUIRED, a streamed decision finishes it', async () => {
    const first = await collect(client.sendMessageStream(send(message([data({ plan: reviewPlan })]))));
    const asked = first[first.length - 1]!;
    expect(asked.payload?.$case === 'statusUpdate' && asked.payload.value.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const taskId = first[0]!.payload?.$case === 'task' ? first[0]!.payload.value.id : '';
    const rest = await collect(client.sendMessageStream(send(message([data({ decision: 'reject', comment: 'no' })], { taskId }))));
    const end = rest[rest.length - 1]!;
    expect(end.payload?.$case === 'statusUpdate' && end.payload.value.status?.state).toBe(TaskState.TASK_STATE_FAILED);
  });

  it('answers bad requests with the spec error codes', async () => {
    const rpc = (body: unknown, headers: Record<string, string> = { 'A2A-Version': '1.0' }) => http('POST', `${ctx.url}/a2a`, body, headers);
    const unversioned = await rpc({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } }, { 'A2A-Version': '2.0' });
    expect(unversioned.body.error.code).toBe(-32009);
    const parse = await rpc('{"jsonrpc": "2.0", "id": 1,', { 'A2A-Version': '1.0', 'content-type': 'application/json' });
    expect(parse.body.error.code).toBe(-32700);
    const plain = await rpc('{"jsonrpc": "2.0", "id": 1, "method": "GetTask"}', { 'A2A-Version': '1.0', 'content-type': 'text/plain' });
    expect(plain.body.error.code).toBe(-32005);
    const unknown = await rpc({ jsonrpc: '2.0', id: 2, method: 'DoThings', params: {} });
    expect(unknown.body.error.code).toBe(-32601);
    const noMessage = await rpc({ jsonrpc: '2.0', id: 3, method: 'SendMessage', params: {} });
    expect(noMessage.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('params.message') });
    const push = await rpc({ jsonrpc: '2.0', id: 4, method: 'CreateTaskPushNotificationConfig', params: {} });
    expect(push.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('params.taskId') });
    await expect(client.sendMessage(send(message([text('what can you do?')])))).rejects.toMatchObject({ message: expect.stringContaining('params.message') });
    await expect(client.sendMessage(send(message([data({ definition: { name: 'nope' } })])))).rejects.toMatchObject({ message: expect.stringContaining('nope') });
  });
});
