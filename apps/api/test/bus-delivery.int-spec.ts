import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { verifyWebhookSignature } from '@baton/webhooks';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { startV1TestAgent } from '../../../libs/agents/src/clients/a2a/testing/a2a-test-agents.js';
import { openSse } from './support/sse-client.js';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'bus-delivery-admin-token-0123456789abcdef';
const ENV = { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_MESSAGE_SWEEP_MS: '100', BATON_MESSAGE_LEASE_SECONDS: '30' };

/** A real agent inbox on 127.0.0.1: checks every signature, can be told to fail. */
async function startInbox() {
  const state = { secret: '', answer: 200, received: [] as any[], calls: 0, badSignatures: 0 };
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    state.calls++;
    const ok = verifyWebhookSignature(state.secret, request.headers['x-baton-timestamp'] as string, raw, request.headers['x-baton-signature'] as string);
    if (!ok) state.badSignatures++;
    if (ok && state.answer < 300) state.received.push({ header: request.headers['x-baton-delivery'], body: JSON.parse(raw) });
    response.writeHead(ok ? state.answer : 401).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { state, url: `http://127.0.0.1:${port}/inbox`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Delivery beyond pulls (issue 14): pushes to an agent's URL signed like webhooks and retried
 * durably (also across a restart), the SSE inbox resumable with Last-Event-ID, and messages
 * sent on behalf of a run showing in that run's event log.
 */
describe.each(testDatabaseKinds())('bus delivery on %s', (kind) => {
  const ctx = useTestServer(kind, ENV);
  const tokens: Record<string, string> = { admin: ADMIN };
  const api = (method: string, path: string, who: string, body?: unknown) => http(method, `${ctx.url}${path}`, body, { authorization: `Bearer ${tokens[who]}` });
  const send = (who: string, body: Record<string, unknown>) => api('POST', '/api/v1/messages', who, { kind: 'event', type: 'note', nonce: randomUUID(), ...body });
  const runEvents = async (runId: string) =>
    (await ctx.database.db.query<{ type: string; data: any }>(`select type, data from orchestration_events where run_id = $1::uuid order by seq`, [runId])).rows;

  beforeAll(async () => {
    for (const name of ['alice', 'erin', 'sse-bob', 'rita', 'zed']) {
      const created = await api('POST', '/api/v1/tokens', 'admin', { name, role: 'agent' });
      expect(created.status).toBe(201);
      tokens[name] = created.body.token;
    }
    expect((await api('POST', '/api/v1/message-types', 'admin', { name: 'note', schema: { type: 'object' } })).status).toBe(201);
  });

  it('pushes to an agent inbox URL, signed, retrying failed attempts with the same delivery id', async () => {
    const inbox = await startInbox();
    try {
      const set = await api('PUT', '/api/v1/messages/inbox/endpoint', 'erin', { url: inbox.url });
      expect(set.status).toBe(200);
      inbox.state.secret = set.body.secret;
      expect((await api('GET', '/api/v1/messages/inbox/endpoint', 'erin')).body).toMatchObject({ agent: 'erin', url: inbox.url });
      expect((await api('GET', '/api/v1/messages/inbox/endpoint', 'erin')).body.secret).toBeUndefined();
      expect((await api('PUT', '/api/v1/messages/inbox/endpoint', 'erin', { url: 'ftp://x' })).body.details[0].path).toBe('url');

      inbox.state.answer = 503;
      const sent = await send('alice', { to: { agent: 'erin' }, payload: { n: 1 } });
      expect(sent.status).toBe(201);
      await waitFor(() => inbox.state.calls >= 2 || undefined, { timeoutMs: 20_000, what: 'two failed pushes' });
      inbox.state.answer = 200;
      const got = await waitFor(() => inbox.state.received.find((r) => r.body.message.id === sent.body.id), { timeoutMs: 20_000, what: 'the push' });
      expect(got.header).toBe(got.body.delivery_id);
      expect(got.body.message).toMatchObject({ from: 'alice', kind: 'event', type: 'note', payload: { n: 1 } });
      expect(inbox.state.badSignatures).toBe(0);
      const logged = await waitFor(async () => {
        const body = (await api('GET', `/api/v1/messages/${sent.body.id}`, 'admin')).body;
        return body.deliveries[0].status === 'acked' ? body : undefined;
      }, { timeoutMs: 10_000, what: 'the acked delivery' });
      expect(logged.deliveries[0].attempts).toBeGreaterThanOrEqual(3);
      expect(inbox.state.received.filter((r) => r.body.message.id === sent.body.id)).toHaveLength(1);
    } finally {
      await inbox.close();
    }
  });

  it('keeps pushing after a restart what was accepted while the agent was down', async () => {
    const inbox = await startInbox();
    try {
      inbox.state.secret = (await api('PUT', '/api/v1/messages/inbox/endpoint', 'erin', { url: inbox.url })).body.secret;
      inbox.state.answer = 500;
      const sent = await send('alice', { to: { agent: 'erin' }, payload: { n: 2 } });
      await waitFor(() => inbox.state.calls >= 1 || undefined, { timeoutMs: 20_000, what: 'a failed push' });
      await ctx.restart();
      inbox.state.answer = 204;
      await waitFor(() => inbox.state.received.find((r) => r.body.message.id === sent.body.id), { timeoutMs: 30_000, what: 'the push after restart' });
      expect((await api('DELETE', '/api/v1/messages/inbox/endpoint', 'erin')).status).toBe(204);
      expect((await api('GET', '/api/v1/messages/inbox/endpoint', 'erin')).status).toBe(404);
    } finally {
      await inbox.close();
    }
  });

  it('sends the mail of an inbox pointed at a registered A2A agent as A2A messages (official SDK agent)', async () => {
    const agent = await startV1TestAgent('echo');
    try {
      expect((await api('POST', '/api/v1/agents', 'admin', { name: 'zed-a2a', kind: 'a2a', url: agent.url })).status).toBe(201);
      expect((await api('PUT', '/api/v1/messages/inbox/endpoint', 'zed', { a2a_agent: 'nobody' })).body.details[0].path).toBe('a2a_agent');
      const set = await api('PUT', '/api/v1/messages/inbox/endpoint', 'zed', { a2a_agent: 'zed-a2a' });
      expect(set.body).toMatchObject({ agent: 'zed', url: null, a2a_agent: 'zed-a2a' });
      const sent = await send('alice', { to: { agent: 'zed' }, payload: { hello: 'a2a' } });
      const got = await waitFor(() => agent.received.find((r) => JSON.stringify(r.message).includes(sent.body.id)), { timeoutMs: 20_000, what: 'the A2A message' });
      expect(JSON.stringify(got.message)).toContain('"hello":"a2a"');
      await waitFor(async () => {
        const body = (await api('GET', `/api/v1/messages/${sent.body.id}`, 'admin')).body;
        return body.deliveries[0].status === 'acked' || undefined;
      }, { timeoutMs: 10_000, what: 'the delivery acked by the completed A2A task' });
    } finally {
      await agent.close();
    }
  });

  it('streams the inbox as SSE and resends at once what a dropped connection missed (Last-Event-ID)', async () => {
    const headers = { authorization: `Bearer ${tokens['sse-bob']}` };
    const first = await openSse(`${ctx.url}/api/v1/messages/inbox/stream`, headers);
    expect(first.status).toBe(200);
    const a = await send('alice', { to: { agent: 'sse-bob' }, payload: { n: 'a' } });
    const frameA = await first.next(10_000);
    expect(frameA?.event).toBe('message');
    expect(frameA?.data.message.id).toBe(a.body.id);
    expect((await api('POST', `/api/v1/messages/inbox/${frameA!.data.delivery_id}/ack`, 'sse-bob')).status).toBe(200);
    // b goes out on the first connection (leased for 30 s) but the client drops before reading it
    const b = await send('alice', { to: { agent: 'sse-bob' }, payload: { n: 'b' } });
    await waitFor(async () => {
      const body = (await api('GET', `/api/v1/messages/${b.body.id}`, 'admin')).body;
      return body.deliveries[0]?.status === 'leased' || undefined;
    }, { timeoutMs: 10_000, what: 'b leased by the first stream' });
    first.close();
    const again = await openSse(`${ctx.url}/api/v1/messages/inbox/stream`, { ...headers, 'last-event-id': frameA!.id! });
    try {
      // Lease is 30 s: arriving within 10 s proves the resume released it
      const frameB = await again.next(10_000);
      expect(frameB?.data.message.id).toBe(b.body.id);
      expect(Number(frameB!.id)).toBeGreaterThan(Number(frameA!.id));
    } finally {
      again.close();
    }
    const bad = await http('GET', `${ctx.url}/api/v1/messages/inbox/stream`, undefined, { ...headers, 'last-event-id': 'x' });
    expect(bad.status).toBe(400);
  });

  it('logs messages sent on behalf of a run in that run\'s event log', async () => {
    const run = await api('POST', '/api/v1/runs', 'admin', { plan: { steps: [{ id: 'w', type: 'wait', event: 'never.happens', timeout_seconds: 60 }] } });
    expect(run.status).toBe(201);
    const sent = await send('alice', { to: { agent: 'rita' }, payload: { step: 'w' }, run_id: run.body.id });
    expect(sent.status).toBe(201);
    const pulled = await api('GET', '/api/v1/messages/inbox?wait=5', 'rita');
    const item = pulled.body.items.find((i: any) => i.message.id === sent.body.id);
    expect((await api('POST', `/api/v1/messages/inbox/${item.delivery_id}/ack`, 'rita')).status).toBe(200);
    const events = await runEvents(run.body.id);
    expect(events.find((e) => e.type === 'message.sent')?.data).toMatchObject({ messageId: sent.body.id, sender: 'alice', recipients: ['rita'] });
    expect(events.find((e) => e.type === 'message.delivered')?.data).toMatchObject({ messageId: sent.body.id, recipient: 'rita', via: 'pull' });
    const unknown = await send('alice', { to: { agent: 'rita' }, payload: {}, run_id: randomUUID() });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0].path).toBe('run_id');
    await api('POST', `/api/v1/runs/${run.body.id}/cancel`, 'admin');
  });
});
