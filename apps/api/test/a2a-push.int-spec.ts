import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Role, TaskState, type Message, type Part, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import type { Task as TaskV03 } from 'a2a-sdk-v03';
import {
  ClientFactory as ClientFactoryV03,
  ClientFactoryOptions as ClientFactoryOptionsV03,
  DefaultAgentCardResolver as DefaultAgentCardResolverV03,
  JsonRpcTransportFactory as JsonRpcTransportFactoryV03,
  type Client as ClientV03,
} from 'a2a-sdk-v03/client';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { checkV03, checkV10 } from '../../../libs/a2a/src/testing/a2a-schemas.js';
import { recordingFetch, resultsOf } from '../../../libs/a2a/src/testing/recording-fetch.js';
import { http, useTestServer } from './support/test-app.js';

/**
 * A2A push notifications end to end: configs registered through the official SDK clients,
 * pushes delivered by the webhook outbox to a real receiver on 127.0.0.1 that fails on
 * purpose, every body checked against the A2A schemas.
 */
const FAST = { BATON_POLL_INTERVAL_MS: '200', BATON_WEBHOOK_BACKOFF_MS: '20', BATON_WEBHOOK_POLL_MS: '100', BATON_WEBHOOK_MAX_ATTEMPTS: '6' };

interface Push {
  deliveryId: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** A push receiver: answers 500 to the first `failFirst` calls, records what it accepted. */
interface PushReceiver {
  url: string;
  accepted: Push[];
  calls: Array<{ deliveryId: string; status: number }>;
  close(): Promise<void>;
}

async function startPushReceiver(failFirst = 0): Promise<PushReceiver> {
  const receiver = { url: '', accepted: [] as Push[], calls: [] as PushReceiver['calls'] } as PushReceiver;
  let failures = failFirst;
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const deliveryId = String(request.headers['x-baton-delivery'] ?? '');
    const status = failures-- > 0 ? 500 : 200;
    receiver.calls.push({ deliveryId, status });
    if (status === 200) receiver.accepted.push({ deliveryId, headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
    response.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/push`;
  receiver.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return receiver;
}

const data = (value: unknown): Part => ({ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: '' });
const message = (parts: Part[], extra: Partial<Message> = {}): Message => ({
  messageId: randomUUID(), contextId: '', taskId: '', role: Role.ROLE_USER, parts, metadata: undefined, extensions: [], referenceTaskIds: [], ...extra,
});
const send = (msg: Message, returnImmediately = false) => ({
  tenant: '', message: msg, configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately }, metadata: undefined,
});

/** A first step slow enough to register configs before the checkpoint opens. */
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:delay', input: { ms: 800, output: { title: 'Tides' } } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish {{ steps.draft.output.title }}?' } },
    { id: 'publish', agent: 'builtin:transform', depends_on: ['review'], input: { published: true } },
  ],
};

/** The states a v1.0 receiver saw, consecutive repeats folded. */
function statesV10(pushes: Push[]): string[] {
  const states = pushes.map((p) => (p.body.task ?? p.body.statusUpdate)?.status?.state as string);
  return states.filter((state, i) => state !== states[i - 1]);
}

const stateOf = (push: Push) => (push.body.task ?? push.body.statusUpdate)?.status?.state;

describe.each(testDatabaseKinds())('A2A push notifications on %s', (kind) => {
  const ctx = useTestServer(kind, FAST);
  const receivers: PushReceiver[] = [];
  let client: Client;
  let clientV03: ClientV03;
  let wire: ReturnType<typeof recordingFetch>;

  beforeAll(async () => {
    wire = recordingFetch();
    client = await new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl: wire.fetch })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl: wire.fetch }),
      }),
    ).createFromUrl(ctx.url);
    clientV03 = await new ClientFactoryV03(
      ClientFactoryOptionsV03.createFrom(ClientFactoryOptionsV03.default, {
        transports: [new JsonRpcTransportFactoryV03({ fetchImpl: wire.fetch })],
        cardResolver: new DefaultAgentCardResolverV03({ fetchImpl: wire.fetch }),
      }),
    ).createFromUrl(ctx.url);
  });

  afterAll(async () => {
    for (const receiver of receivers) await receiver.close();
  });

  afterEach(async () => {
    const v10: Record<string, string> = {
      CreateTaskPushNotificationConfig: 'TaskPushNotificationConfig',
      GetTaskPushNotificationConfig: 'TaskPushNotificationConfig',
      ListTaskPushNotificationConfigs: 'ListTaskPushNotificationConfigsResponse',
    };
    const v03: Record<string, string> = { 'tasks/pushNotificationConfig/set': 'TaskPushNotificationConfig', 'tasks/pushNotificationConfig/get': 'TaskPushNotificationConfig' };
    for (const exchange of wire.exchanges.splice(0)) {
      const v10Schema = v10[exchange.method];
      const v03Schema = v03[exchange.method];
      for (const result of await resultsOf(exchange)) {
        if (v10Schema) expect(checkV10(v10Schema, result)).toEqual([]);
        if (v03Schema) expect(checkV03(v03Schema, result)).toEqual([]);
      }
    }
  });

  const receiver = async (failFirst = 0) => {
    const started = await startPushReceiver(failFirst);
    receivers.push(started);
    return started;
  };

  it('advertises push notifications on both cards', async () => {
    const v1 = await http('GET', `${ctx.url}/.well-known/agent-card.json`, undefined, { 'A2A-Version': '1.0' });
    expect(v1.body.capabilities.pushNotifications).toBe(true);
    const v03 = await http('GET', `${ctx.url}/.well-known/agent-card.json`);
    expect(v03.body.capabilities.pushNotifications).toBe(true);
  });

  it('pushes every state change to completion through the outbox (v1.0), retrying a failed call; delete stops pushes', async () => {
    const kept = await receiver(1);
    const dropped = await receiver();
    const task = (await client.sendMessage(send(message([data({ plan: reviewPlan, input: {} })]), true))) as Task;

    const primary = await client.createTaskPushNotificationConfig({
      tenant: '', id: 'primary', taskId: task.id, url: kept.url, token: 'tok-primary', authentication: { scheme: 'Bearer', credentials: 'secret-1' },
    });
    expect(primary).toMatchObject({ id: 'primary', taskId: task.id, url: kept.url, token: 'tok-primary' });
    const otherId = randomUUID();
    await client.createTaskPushNotificationConfig({ tenant: '', id: otherId, taskId: task.id, url: dropped.url, token: 'tok-other', authentication: undefined });

    const listed = await client.listTaskPushNotificationConfig({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' });
    expect(listed.configs.map((c) => c.id).sort()).toEqual(['primary', otherId].sort());
    const got = await client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: 'primary' });
    // Credentials are kept for sending, never read back.
    expect(got).toMatchObject({ url: kept.url, token: 'tok-primary', authentication: { scheme: 'Bearer', credentials: '' } });
    await expect(client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: 'nope' })).rejects.toMatchObject({ name: 'TaskNotFoundError' });

    // The checkpoint opens: both receivers hear INPUT_REQUIRED.
    const inputRequired = (r: PushReceiver) => r.accepted.some((p) => stateOf(p) === 'TASK_STATE_INPUT_REQUIRED');
    await waitFor(() => inputRequired(kept) && inputRequired(dropped), { what: 'input-required pushes' });

    await client.deleteTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: otherId });
    await expect(client.getTaskPushNotificationConfig({ tenant: '', taskId: task.id, id: otherId })).rejects.toMatchObject({ name: 'TaskNotFoundError' });
    expect((await client.listTaskPushNotificationConfig({ tenant: '', taskId: task.id, pageSize: 0, pageToken: '' })).configs.map((c) => c.id)).toEqual(['primary']);
    const droppedBefore = dropped.calls.length;

    const done = (await client.sendMessage(send(message([data({ decision: 'approve' })], { taskId: task.id })))) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    await waitFor(() => kept.accepted.some((p) => stateOf(p) === 'TASK_STATE_COMPLETED'), { what: 'completed push' });

    // In order, through to completion; the terminal push is the whole task, with its artifacts.
    const states = statesV10(kept.accepted);
    expect(states.slice(-3)).toEqual(['TASK_STATE_INPUT_REQUIRED', 'TASK_STATE_WORKING', 'TASK_STATE_COMPLETED']);
    const last = kept.accepted[kept.accepted.length - 1]!;
    expect(last.body.task).toMatchObject({ id: task.id, artifacts: [{ artifactId: 'publish' }] });
    for (const push of kept.accepted) {
      expect(checkV10('StreamResponse', push.body)).toEqual([]);
      expect(push.headers['content-type']).toBe('application/a2a+json');
      expect(push.headers['x-a2a-notification-token']).toBe('tok-primary');
      expect(push.headers.authorization).toBe('Bearer secret-1');
      expect(push.headers['x-baton-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    }
    // The first call failed and the same delivery came again (the outbox retried it).
    expect(kept.calls[0]!.status).toBe(500);
    expect(kept.accepted.map((p) => p.deliveryId)).toContain(kept.calls[0]!.deliveryId);

    // Nothing reached the deleted config's receiver after the delete.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(dropped.calls.length).toBe(droppedBefore);
    expect(dropped.accepted.some((p) => stateOf(p) === 'TASK_STATE_COMPLETED')).toBe(false);
    for (const push of dropped.accepted) expect(push.headers['x-a2a-notification-token']).toBe('tok-other');

    // Each config is a run-scoped webhook subscription, visible in the webhooks API.
    const hooks = await http('GET', `${ctx.url}/api/v1/webhooks`);
    expect(hooks.body.items.filter((h: any) => h.runId === task.id).map((h: any) => h.format)).toEqual(['a2a-v1.0']);
  });

  it('takes a config inline in message/send and pushes v0.3 tasks (v0.3 client)', async () => {
    const target = await receiver();
    const sent = (await clientV03.sendMessage({
      message: { kind: 'message', role: 'user', messageId: randomUUID(), parts: [{ kind: 'data', data: { plan: { steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 300, output: { waited: 300 } } }] } } }] },
      configuration: { blocking: false, pushNotificationConfig: { url: target.url, token: 'tok-v03' } },
    })) as TaskV03;
    await waitFor(() => target.accepted.some((p) => p.body.status?.state === 'completed'), { what: 'completed v0.3 push' });
    for (const push of target.accepted) {
      expect(checkV03('Task', push.body)).toEqual([]);
      expect(push.body).toMatchObject({ kind: 'task', id: sent.id });
      expect(push.headers['x-a2a-notification-token']).toBe('tok-v03');
      expect(push.headers['content-type']).toBe('application/json');
    }
    expect(target.accepted[target.accepted.length - 1]!.body.artifacts).toEqual([{ artifactId: 'wait', name: 'wait', parts: [{ kind: 'data', data: { waited: 300 } }] }]);

    const [inline] = await clientV03.listTaskPushNotificationConfig({ id: sent.id });
    expect(inline).toMatchObject({ taskId: sent.id, pushNotificationConfig: { url: target.url, token: 'tok-v03' } });
    const configId = inline!.pushNotificationConfig.id!;
    expect(await clientV03.getTaskPushNotificationConfig({ id: sent.id, pushNotificationConfigId: configId } as { id: string })).toMatchObject({ pushNotificationConfig: { id: configId } });
    const set = await clientV03.setTaskPushNotificationConfig({ taskId: sent.id, pushNotificationConfig: { id: 'second', url: target.url } });
    expect(set).toEqual({ taskId: sent.id, pushNotificationConfig: { id: 'second', url: target.url } });
    expect((await clientV03.listTaskPushNotificationConfig({ id: sent.id })).map((c) => c.pushNotificationConfig.id).sort()).toEqual([configId, 'second'].sort());
    await clientV03.deleteTaskPushNotificationConfig({ id: sent.id, pushNotificationConfigId: 'second' });
    expect((await clientV03.listTaskPushNotificationConfig({ id: sent.id })).map((c) => c.pushNotificationConfig.id)).toEqual([configId]);
  });

  it('refuses a bad push URL naming the field, and starts nothing', async () => {
    const rpc = (body: unknown, headers: Record<string, string> = { 'A2A-Version': '1.0' }) => http('POST', `${ctx.url}/a2a`, body, headers);
    const before = (await http('GET', `${ctx.url}/api/v1/runs`)).body;
    const bad = await rpc({
      jsonrpc: '2.0', id: 1, method: 'SendMessage',
      params: { message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ data: { plan: reviewPlan } }] }, configuration: { taskPushNotificationConfig: { url: 'ftp://x' } } },
    });
    expect(bad.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('params.configuration.taskPushNotificationConfig.url') });
    expect((await http('GET', `${ctx.url}/api/v1/runs`)).body).toEqual(before);
    const unknownTask = await rpc({ jsonrpc: '2.0', id: 2, method: 'CreateTaskPushNotificationConfig', params: { taskId: randomUUID(), url: 'http://127.0.0.1:1/x' } });
    expect(unknownTask.body.error.code).toBe(-32001);
  });
});
