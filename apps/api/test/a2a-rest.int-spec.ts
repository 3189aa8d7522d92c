import { randomUUID } from 'node:crypto';
import { Role, TaskState, type Part, type StreamResponse, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, RestTransportFactory, type Client } from '@a2a-js/sdk/client';
import { testDatabaseKinds } from '@baton/testing';
import { checkV10 } from '../../../libs/a2a/src/testing/a2a-schemas.js';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'a2a-rest-admin-token-0123456789abcdef';
const data = (value: unknown): Part => ({ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: '' });
const send = (parts: Part[], options: { taskId?: string; returnImmediately?: boolean } = {}) => ({
  tenant: '',
  message: { messageId: randomUUID(), contextId: '', taskId: options.taskId ?? '', role: Role.ROLE_USER, parts, metadata: undefined, extensions: [], referenceTaskIds: [] },
  configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: options.returnImmediately ?? false },
  metadata: undefined,
});
const quickPlan = { steps: [{ id: 'say', agent: 'builtin:transform', input: { hello: 'world' } }] };
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish?' } },
  ],
};

async function collect(stream: AsyncGenerator<StreamResponse>): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Issue 11: A2A v1.0's HTTP+JSON binding at /a2a/v1, driven by the official SDK's REST client. */
describe.each(testDatabaseKinds())('the A2A HTTP+JSON binding on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLL_INTERVAL_MS: '200' });
  let client: Client;
  let stranger: Client;
  let token = '';

  async function clientFor(bearer: string): Promise<Client> {
    const authed: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${bearer}`);
      return fetch(input, { ...init, headers });
    };
    return new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new RestTransportFactory({ fetchImpl: authed })],
        preferredTransports: ['HTTP+JSON'],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl: authed }),
      }),
    ).createFromUrl(ctx.url);
  }

  beforeAll(async () => {
    for (const name of ['rest-agent', 'rest-stranger']) {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name, role: 'agent' }, { authorization: `Bearer ${ADMIN}` });
      if (name === 'rest-agent') token = created.body.token;
      else stranger = await clientFor(created.body.token);
    }
    client = await clientFor(token);
  });

  it('is declared on the card and chosen by the SDK REST client', async () => {
    const card = await http('GET', `${ctx.url}/.well-known/agent-card.json`, undefined, { 'A2A-Version': '1.0' });
    expect(card.body.supportedInterfaces).toContainEqual({ url: `${ctx.url}/a2a/v1`, protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' });
    expect(checkV10('AgentCard', card.body)).toEqual([]);
    expect(client.transport.protocolName).toBe('HTTP+JSON');
  });

  it('sends, gets, lists and cancels tasks', async () => {
    const done = (await client.sendMessage(send([data({ plan: quickPlan })]))) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const got = await client.getTask({ tenant: '', id: done.id, historyLength: undefined });
    expect(got.artifacts[0]?.parts[0]?.content).toEqual({ $case: 'data', value: { hello: 'world' } });
    const raw = await http('GET', `${ctx.url}/a2a/v1/tasks/${done.id}`, undefined, { authorization: `Bearer ${token}` });
    expect(checkV10('Task', raw.body)).toEqual([]);

    const listed = await client.listTasks({ tenant: '', contextId: done.contextId, status: 0, pageSize: 10, pageToken: '', historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: true });
    expect(listed.tasks.map((t) => t.id)).toEqual([done.id]);

    const slow = (await client.sendMessage(send([data({ plan: { steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 20_000 } }] } })], { returnImmediately: true }))) as Task;
    await expect(stranger.cancelTask({ tenant: '', id: slow.id, metadata: undefined })).rejects.toMatchObject({ statusCode: 403 });
    const cancelled = await client.cancelTask({ tenant: '', id: slow.id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await expect(client.cancelTask({ tenant: '', id: slow.id, metadata: undefined })).rejects.toMatchObject({ name: 'TaskNotCancelableError', statusCode: 409 });
  });

  it('maps errors to HTTP statuses with AIP-193 bodies', async () => {
    const id = randomUUID();
    await expect(client.getTask({ tenant: '', id, historyLength: undefined })).rejects.toMatchObject({ name: 'TaskNotFoundError', statusCode: 404 });
    const missing = await http('GET', `${ctx.url}/a2a/v1/tasks/${id}`, undefined, { authorization: `Bearer ${token}` });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: 404, status: 'NOT_FOUND', message: `task ${id} was not found`, details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'TASK_NOT_FOUND', domain: 'a2a-protocol.org', metadata: { taskId: id } }] },
    });
    const bad = await http('POST', `${ctx.url}/a2a/v1/message:send`, { message: { messageId: 'm', role: 'ROLE_USER', parts: [] } }, { authorization: `Bearer ${token}` });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('params.message.parts') });
    const parse = await http('POST', `${ctx.url}/a2a/v1/message:send`, '{"message":', { authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    expect(parse.status).toBe(400);
    expect(parse.body.error.details[0].reason).toBe('PARSE_ERROR');
    const plain = await http('POST', `${ctx.url}/a2a/v1/message:send`, '{}', { authorization: `Bearer ${token}`, 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect((await http('GET', `${ctx.url}/a2a/v1/tasks/${id}`)).status).toBe(401);
    // Another agent's task does not exist for it.
    const mine = (await client.sendMessage(send([data({ plan: quickPlan })]))) as Task;
    await expect(stranger.getTask({ tenant: '', id: mine.id, historyLength: undefined })).rejects.toMatchObject({ name: 'TaskNotFoundError' });
  });

  it('streams a send, and a subscription through INPUT_REQUIRED to the end', async () => {
    const events = await collect(client.sendMessageStream(send([data({ plan: quickPlan })])));
    expect(events[0]?.payload?.$case).toBe('task');
    const last = events[events.length - 1]!;
    expect(last.payload?.$case === 'statusUpdate' && last.payload.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(events.some((e) => e.payload?.$case === 'artifactUpdate')).toBe(true);

    const waiting = (await client.sendMessage(send([data({ plan: reviewPlan })]))) as Task;
    expect(waiting.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const subscription = collect(client.resubscribeTask({ tenant: '', id: waiting.id }));
    const [approval] = (await http('GET', `${ctx.url}/api/v1/approvals?runId=${waiting.id}`, undefined, { authorization: `Bearer ${ADMIN}` })).body.approvals;
    await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve' }, { authorization: `Bearer ${ADMIN}` });
    const followed = await subscription;
    const end = followed[followed.length - 1]!;
    expect(end.payload?.$case === 'statusUpdate' && end.payload.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('creates, gets, lists and deletes push configs (delete idempotent), and serves the extended card', async () => {
    const task = (await client.sendMessage(send([data({ plan: reviewPlan })]))) as Task;
    const config = { tenant: '', taskId: task.id, id: 'primary', url: 'http://127.0.0.1:9/push', token: 'tok', authentication: { scheme: 'Bearer', credentials: 'secret' } };
    const created = await client.createTaskPushNotificationConfig(config);
    expect(created).toMatchObject({ id: 'primary', taskId: task.id, url: config.url, authentication: { scheme: 'Bearer', credentials: '' } });
    expect(await client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: 'primary' })).toMatchObject({ id: 'primary', token: 'tok' });
    expect((await client.listTaskPushNotificationConfig({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' })).configs.map((c) => c.id)).toEqual(['primary']);
    await client.deleteTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: 'primary' });
    await client.deleteTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: 'primary' });
    await expect(stranger.listTaskPushNotificationConfig({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' })).rejects.toMatchObject({ name: 'TaskNotFoundError' });

    const card = await client.getAgentCard();
    expect(card.capabilities?.extensions[0]?.params).toMatchObject({ name: 'rest-agent', role: 'agent', tasks: 'own' });
  });
});
