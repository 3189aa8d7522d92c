import { randomUUID } from 'node:crypto';
import { Role, TaskState, type Part, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { OrchestrationCheckpointService } from '@baton/approvals';
import { RunControlService } from '@baton/runs';
import { testDatabaseKinds } from '@baton/testing';
import { startV1TestAgent } from '../../../libs/agents/src/clients/a2a/testing/a2a-test-agents.js';
import { rpc, sendV10 } from './support/a2a-rpc.js';
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

  it('refuses an agent approving a human checkpoint on its own task; an admin decides it', async () => {
    const agent = await clientFor(await agentToken('planner'));
    const stranger = await clientFor(await agentToken('stranger'));
    const own = (await agent.sendMessage(send([data({ plan: reviewPlan })]))) as Task;
    expect(own.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    // A checkpoint is a human gate: continuing its own task does not let an agent pass it.
    await expect(agent.sendMessage(send([data({ decision: 'approve' })], own.id))).rejects.toMatchObject({
      message: expect.stringContaining('needs the approvals.decide permission'),
    });
    await expect(stranger.sendMessage(send([data({ decision: 'approve' })], own.id))).rejects.toMatchObject({
      message: expect.stringContaining('task ' + own.id + ' was not found'),
    });
    const pending = await http('GET', `${ctx.url}/api/v1/approvals?runId=${own.id}`, undefined, { authorization: `Bearer ${ADMIN}` });
    expect(pending.body.approvals[0]).toMatchObject({ status: 'pending', decidedBy: null });

    const admin = await clientFor(ADMIN);
    const done = (await admin.sendMessage(send([data({ decision: 'approve' })], own.id))) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const approvals = await http('GET', `${ctx.url}/api/v1/approvals?runId=${own.id}`, undefined, { authorization: `Bearer ${ADMIN}` });
    expect(approvals.body.approvals[0].decidedBy).toMatchObject({ name: 'bootstrap', role: 'admin' });
  });

  it('lets the submitting agent answer the question its own step agent asked (agent_input), not another agent', async () => {
    const asker = await startV1TestAgent('ask');
    try {
      const registered = await http('POST', `${ctx.url}/api/v1/agents`, { name: 'asker', kind: 'a2a', url: asker.url }, { authorization: `Bearer ${ADMIN}` });
      expect([200, 201]).toContain(registered.status);
      const owner = await agentToken('asking-owner');
      const other = await agentToken('asking-other');
      const plan = { steps: [{ id: 'paint', agent: 'asker', input: { wall: 'north' } }] };
      const started = await rpc(ctx.url, owner, 'SendMessage', sendV10({ plan }));
      const taskId = started.body.result.task.id;
      expect(started.body.result.task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');

      const refused = await rpc(ctx.url, other, 'SendMessage', sendV10({ decision: 'approve', payload: 'teal' }, { taskId }));
      expect(refused.body.error.code).toBe(-32001);
      const answered = await rpc(ctx.url, owner, 'SendMessage', sendV10({ decision: 'approve', payload: 'teal' }, { taskId }));
      expect(answered.body.error).toBeUndefined();
      expect(answered.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
      const approvals = await http('GET', `${ctx.url}/api/v1/approvals?runId=${taskId}`, undefined, { authorization: `Bearer ${ADMIN}` });
      expect(approvals.body.approvals[0]).toMatchObject({ kind: 'agent_input', status: 'approved', decidedBy: { name: 'asking-owner', role: 'agent' } });
    } finally {
      await asker.close();
    }
  });

  it("never shows another agent's push configs, and never returns credentials", async () => {
    const owner = await agentToken('push-owner');
    const other = await agentToken('push-other');
    const started = await rpc(ctx.url, owner, 'SendMessage', sendV10({ plan: reviewPlan }));
    const taskId = started.body.result.task.id;
    const config = { taskId, id: 'primary', url: 'http://127.0.0.1:9/hook', token: 'notify-secret', authentication: { scheme: 'Bearer', credentials: 'push-credential' } };
    const created = await rpc(ctx.url, owner, 'CreateTaskPushNotificationConfig', config);
    expect(created.body.result).toMatchObject({ id: 'primary', taskId });
    expect(JSON.stringify(created.body)).not.toContain('push-credential');

    for (const version of ['1.0', '0.3'] as const) {
      const get = version === '1.0' ? ['GetTaskPushNotificationConfig', { taskId, id: 'primary' }] : ['tasks/pushNotificationConfig/get', { id: taskId, pushNotificationConfigId: 'primary' }];
      const list = version === '1.0' ? ['ListTaskPushNotificationConfigs', { taskId }] : ['tasks/pushNotificationConfig/list', { id: taskId }];
      for (const [method, params] of [get, list] as [string, unknown][]) {
        const foreign = await rpc(ctx.url, other, method, params, version);
        expect({ method, code: foreign.body.error?.code }).toEqual({ method, code: -32001 });
        expect(JSON.stringify(foreign.body)).not.toContain('notify-secret');
        const mine = await rpc(ctx.url, owner, method, params, version);
        expect({ method, error: mine.body.error }).toEqual({ method, error: undefined });
        expect(JSON.stringify(mine.body)).toContain('Bearer');
        expect(JSON.stringify(mine.body)).not.toContain('push-credential');
      }
    }
  });

  it('takes the submitter from the token, not from run metadata the client wrote', async () => {
    const alice = await agentToken('alice');
    const mallory = await agentToken('mallory');
    const aliceId = (await http('GET', `${ctx.url}/api/v1/whoami`, undefined, { authorization: `Bearer ${alice}` })).body.tokenId;
    const malloryId = (await http('GET', `${ctx.url}/api/v1/whoami`, undefined, { authorization: `Bearer ${mallory}` })).body.tokenId;
    expect(aliceId && malloryId).toBeTruthy();
    const plan = { steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 20_000 } }] };
    // Mallory submits a run whose metadata names alice (and the admin one naming mallory).
    const forged = await http('POST', `${ctx.url}/api/v1/runs`, { plan, metadata: { a2a: { submittedBy: aliceId } } }, { authorization: `Bearer ${mallory}` });
    expect(forged.status).toBe(201);
    const adminRun = await http('POST', `${ctx.url}/api/v1/runs`, { plan, metadata: { a2a: { submittedBy: malloryId } } }, { authorization: `Bearer ${ADMIN}` });
    expect(adminRun.status).toBe(201);

    expect((await rpc(ctx.url, alice, 'GetTask', { id: forged.body.id })).body.error.code).toBe(-32001);
    expect((await rpc(ctx.url, alice, 'CancelTask', { id: forged.body.id })).body.error.code).toBe(-32000);
    expect((await rpc(ctx.url, mallory, 'CancelTask', { id: adminRun.body.id })).body.error.code).toBe(-32000);
    const listed = await rpc(ctx.url, alice, 'ListTasks', {});
    expect(listed.body.error).toBeUndefined();
    expect((listed.body.result.tasks ?? []).map((t: { id: string }) => t.id)).not.toContain(forged.body.id);
    const malloryList = await rpc(ctx.url, mallory, 'ListTasks', {});
    expect(malloryList.body.result.tasks.map((t: { id: string }) => t.id)).toEqual([forged.body.id]);
    // The one who really submitted it may steer it.
    const cancelled = await rpc(ctx.url, mallory, 'CancelTask', { id: forged.body.id });
    expect(cancelled.body.result.status.state).toBe('TASK_STATE_CANCELED');
    await rpc(ctx.url, ADMIN, 'CancelTask', { id: adminRun.body.id });
  });

  it('checks steering and decisions in the services too, whatever the door', async () => {
    const owner = await agentToken('svc-owner');
    const ownerId = (await http('GET', `${ctx.url}/api/v1/whoami`, undefined, { authorization: `Bearer ${owner}` })).body.tokenId;
    const started = await rpc(ctx.url, owner, 'SendMessage', sendV10({ plan: reviewPlan }));
    const taskId = started.body.result.task.id;
    const control = ctx.server.app.get(RunControlService);
    const stranger = { tokenId: randomUUID(), name: 'svc-stranger', controlsAnyRun: false };
    await expect(control.cancel(taskId, stranger)).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(control.pause(taskId, stranger)).rejects.toMatchObject({ kind: 'forbidden' });

    const checkpoints = ctx.server.app.get(OrchestrationCheckpointService);
    const [approval] = await checkpoints.list({ status: 'pending', runId: taskId, limit: 1 });
    const asAgent = { tokenId: ownerId, name: 'svc-owner', role: 'agent' as const };
    await expect(checkpoints.decide(approval!.id, { decision: 'approve' }, asAgent)).rejects.toMatchObject({ kind: 'forbidden' });
    expect((await checkpoints.get(approval!.id)).status).toBe('pending');

    const cancelled = await control.cancel(taskId, { tokenId: ownerId, name: 'svc-owner', controlsAnyRun: false });
    expect(cancelled.status).toBe('cancelled');
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
