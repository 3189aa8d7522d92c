import { randomUUID } from 'node:crypto';
import type { Message, Part, Task } from 'a2a-sdk-v03';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, RestTransportFactory, type Client } from 'a2a-sdk-v03/client';
import { testDatabaseKinds } from '@baton/testing';
import { checkV03 } from '../../../libs/a2a/src/testing/a2a-schemas.js';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'a2a-rest-v03-admin-token-0123456789';
const message = (parts: Part[], extra: Partial<Message> = {}): Message => ({ kind: 'message', role: 'user', messageId: randomUUID(), parts, ...extra });
const quickPlan = { steps: [{ id: 'say', agent: 'builtin:transform', input: { hello: 'world' } }] };
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish?' } },
  ],
};

/** Issue 11: A2A v0.3's HTTP+JSON binding at /a2a/v0.3, driven by the official v0.3 SDK's REST client. */
describe.each(testDatabaseKinds())('the A2A v0.3 HTTP+JSON binding on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLL_INTERVAL_MS: '200' });
  let client: Client;
  let stranger: Client;

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
    const tokens: string[] = [];
    for (const name of ['rest03-agent', 'rest03-stranger']) {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name, role: 'agent' }, { authorization: `Bearer ${ADMIN}` });
      tokens.push(created.body.token);
    }
    client = await clientFor(tokens[0]!);
    stranger = await clientFor(tokens[1]!);
  });

  it('is declared on the v0.3 card', async () => {
    const card = await http('GET', `${ctx.url}/.well-known/agent-card.json`);
    expect(checkV03('AgentCard', card.body)).toEqual([]);
    expect(card.body.additionalInterfaces).toContainEqual({ url: `${ctx.url}/a2a/v0.3`, transport: 'HTTP+JSON' });
  });

  it('sends, gets and cancels tasks; errors keep their A2A codes', async () => {
    const done = (await client.sendMessage({ message: message([{ kind: 'data', data: { plan: quickPlan } }]) })) as Task;
    expect(done).toMatchObject({ kind: 'task', status: { state: 'completed' } });
    expect(done.artifacts?.[0]?.parts[0]).toMatchObject({ kind: 'data', data: { hello: 'world' } });
    const got = await client.getTask({ id: done.id });
    expect(got.id).toBe(done.id);

    const slow = (await client.sendMessage({
      message: message([{ kind: 'data', data: { plan: { steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 20_000 } }] } } }]),
      configuration: { blocking: false },
    })) as Task;
    await expect(stranger.getTask({ id: slow.id })).rejects.toThrow(/not found/);
    const cancelled = await client.cancelTask({ id: slow.id });
    expect(cancelled.status.state).toBe('canceled');
    await expect(client.cancelTask({ id: slow.id })).rejects.toThrow();
    await expect(client.getTask({ id: randomUUID() })).rejects.toThrow(/not found/);
  });

  it('streams a send, and resubscribes through input-required to the end', async () => {
    const events: unknown[] = [];
    for await (const event of client.sendMessageStream({ message: message([{ kind: 'data', data: { plan: quickPlan } }]) })) events.push(event);
    expect(events[events.length - 1]).toMatchObject({ kind: 'status-update', status: { state: 'completed' }, final: true });

    const waiting = (await client.sendMessage({ message: message([{ kind: 'data', data: { plan: reviewPlan } }]) })) as Task;
    expect(waiting.status.state).toBe('input-required');
    const followed: unknown[] = [];
    const following = (async () => {
      for await (const event of client.resubscribeTask({ id: waiting.id })) followed.push(event);
    })();
    const [approval] = (await http('GET', `${ctx.url}/api/v1/approvals?runId=${waiting.id}`, undefined, { authorization: `Bearer ${ADMIN}` })).body.approvals;
    await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve' }, { authorization: `Bearer ${ADMIN}` });
    await following;
    expect(followed[followed.length - 1]).toMatchObject({ kind: 'status-update', status: { state: 'completed' }, final: true });
  });

  it('sets, gets, lists and deletes push configs (credentials never returned)', async () => {
    const task = (await client.sendMessage({ message: message([{ kind: 'data', data: { plan: reviewPlan } }]) })) as Task;
    const set = await client.setTaskPushNotificationConfig({
      taskId: task.id,
      pushNotificationConfig: { id: 'primary', url: 'http://127.0.0.1:9/push', token: 'tok', authentication: { schemes: ['Bearer'], credentials: 'secret' } },
    });
    expect(set.pushNotificationConfig).toMatchObject({ id: 'primary', url: 'http://127.0.0.1:9/push' });
    expect(JSON.stringify(set)).not.toContain('secret');
    const got = await client.getTaskPushNotificationConfig({ id: task.id, pushNotificationConfigId: 'primary' } as Parameters<Client['getTaskPushNotificationConfig']>[0]);
    expect(got.pushNotificationConfig.token).toBe('tok');
    expect((await client.listTaskPushNotificationConfig({ id: task.id })).map((c) => c.pushNotificationConfig.id)).toEqual(['primary']);
    await client.deleteTaskPushNotificationConfig({ id: task.id, pushNotificationConfigId: 'primary' });
    await client.deleteTaskPushNotificationConfig({ id: task.id, pushNotificationConfigId: 'primary' });
    await expect(stranger.listTaskPushNotificationConfig({ id: task.id })).rejects.toThrow(/not found/);
    expect(await client.listTaskPushNotificationConfig({ id: task.id })).toEqual([]);
  });
});
