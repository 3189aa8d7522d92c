import { randomUUID } from 'node:crypto';
import { Role, TaskState, type Part, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'a2a-gateway-admin-token-0123456789';
const data = (value: unknown): Part => ({ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: '' });
const send = (parts: Part[], taskId = '', returnImmediately = false) => ({
  tenant: '',
  message: { messageId: randomUUID(), contextId: '', taskId, role: Role.ROLE_USER, parts, metadata: undefined, extensions: [], referenceTaskIds: [] },
  configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately },
  metadata: undefined,
});
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish?' } },
  ],
};

describe.each(testDatabaseKinds())('A2A gateway identity on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLL_INTERVAL_MS: '200' });

  async function clientFor(token: string): Promise<Client> {
    const authed: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    const factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl: authed })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl: authed }),
      }),
    );
    return factory.createFromUrl(ctx.url);
  }

  async function agentToken(name: string): Promise<string> {
    const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name, role: 'agent' }, { authorization: `Bearer ${ADMIN}` });
    expect(created.status).toBe(201);
    return created.body.token;
  }

  it('needs a token for POST /a2a but not for the card', async () => {
    expect((await http('GET', `${ctx.url}/.well-known/agent-card.json`)).status).toBe(200);
    const anonymous = await http('POST', `${ctx.url}/a2a`, { jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: randomUUID() } });
    expect(anonymous.status).toBe(401);
  });

  it('lets an agent continue only the tasks it submitted; an admin decides any', async () => {
    const agent = await clientFor(await agentToken('planner'));
    const stranger = await clientFor(await agentToken('stranger'));
    const own = (await agent.sendMessage(send([data({ plan: reviewPlan })]))) as Task;
    expect(own.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const continued = (await agent.sendMessage(send([data({ decision: 'approve' })], own.id))) as Task;
    expect(continued.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);

    const waiting = (await agent.sendMessage(send([data({ plan: reviewPlan })]))) as Task;
    await expect(stranger.sendMessage(send([data({ decision: 'approve' })], waiting.id))).rejects.toMatchObject({
      message: expect.stringContaining('may only continue tasks it submitted'),
    });
    const admin = await clientFor(ADMIN);
    const done = (await admin.sendMessage(send([data({ decision: 'approve' })], waiting.id))) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const approvals = await http('GET', `${ctx.url}/api/v1/approvals?runId=${waiting.id}`, undefined, { authorization: `Bearer ${ADMIN}` });
    expect(approvals.body.approvals[0].decidedBy).toMatchObject({ name: 'bootstrap', role: 'admin' });
  });

  it('lets an agent cancel the tasks it submitted, not another agent\'s', async () => {
    const owner = await clientFor(await agentToken('owner'));
    const other = await clientFor(await agentToken('other'));
    const plan = { steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 20_000 } }] };
    const mine = (await owner.sendMessage(send([data({ plan })], '', true))) as Task;
    await expect(other.cancelTask({ tenant: '', id: mine.id, metadata: undefined })).rejects.toMatchObject({ message: expect.stringContaining('tasks it submitted') });
    const cancelled = await owner.cancelTask({ tenant: '', id: mine.id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });
});
