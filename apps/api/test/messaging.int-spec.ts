import { randomUUID } from 'node:crypto';
import { testDatabaseKinds, expectWithinBound, since } from '@baton/testing';
import { http, startTestApp, useTestServer, type TestApp } from './support/test-app.js';

const ADMIN = 'messaging-admin-token-0123456789abcdef';
const ENV = { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_MESSAGE_SWEEP_MS: '100', BATON_MESSAGE_LEASE_SECONDS: '1' };
const AGENTS = ['alice', 'bob', 'carol', 'dave'] as const;
type Name = (typeof AGENTS)[number] | 'vera' | 'admin';

/**
 * The agent bus (issue 14) against a real server: agents are real HTTP clients holding their
 * own tokens; the sender is always the token, never a field.
 */
describe.each(testDatabaseKinds())('messaging on %s', (kind) => {
  const ctx = useTestServer(kind, ENV);
  const tokens: Partial<Record<Name, string>> = { admin: ADMIN };
  const auth = (who: Name): Record<string, string> => ({ authorization: `Bearer ${tokens[who]}` });
  const api = (method: string, path: string, who: Name, body?: unknown, url = ctx.url) => http(method, `${url}${path}`, body, auth(who));
  const send = (who: Name, body: Record<string, unknown>, url?: string) =>
    api('POST', '/api/v1/messages', who, { kind: 'event', type: 'order.placed', nonce: randomUUID(), ...body }, url);
  const pull = (who: Name, query = '', url?: string) => api('GET', `/api/v1/messages/inbox${query}`, who, undefined, url);
  const ack = (who: Name, deliveryId: string) => api('POST', `/api/v1/messages/inbox/${deliveryId}/ack`, who);

  /** Everything in `who`'s inbox now, acked. */
  async function drain(who: Name): Promise<any[]> {
    const all: any[] = [];
    for (;;) {
      const { body } = await pull(who, '?limit=100');
      if (body.items.length === 0) return all;
      for (const item of body.items) expect((await ack(who, item.delivery_id)).status).toBe(200);
      all.push(...body.items);
    }
  }

  beforeAll(async () => {
    for (const [name, role] of [...AGENTS.map((a) => [a, 'agent'] as const), ['vera', 'viewer'] as const]) {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name, role }, auth('admin'));
      expect(created.status).toBe(201);
      tokens[name] = created.body.token;
    }
    const orderSchema = {
      type: 'object',
      required: ['order_id', 'total'],
      properties: { order_id: { type: 'string' }, total: { type: 'number', minimum: 0 } },
    };
    expect((await api('POST', '/api/v1/message-types', 'admin', { name: 'order.placed', schema: orderSchema })).status).toBe(201);
    expect((await api('POST', '/api/v1/message-types', 'admin', { name: 'quote', schema: { type: 'object' } })).status).toBe(201);
  });

  it('versions message types and refuses a schema that does not compile', async () => {
    const v2 = await api('POST', '/api/v1/message-types', 'admin', { name: 'quote', schema: { type: 'object', required: ['price'] } });
    expect(v2.body).toMatchObject({ name: 'quote', version: 2, created_by: 'token:bootstrap' });
    expect((await api('GET', '/api/v1/message-types/quote/versions/1', 'vera')).body.schema).toEqual({ type: 'object' });
    const bad = await api('POST', '/api/v1/message-types', 'admin', { name: 'broken', schema: { type: 'no-such-type' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('schema');
    expect((await api('GET', '/api/v1/message-types/broken', 'admin')).status).toBe(404);
    // An agent may not register types (the role table)
    expect((await api('POST', '/api/v1/message-types', 'alice', { name: 'x', schema: {} })).status).toBe(403);
  });

  it('refuses a payload that does not match its schema, naming each field, and sends nothing', async () => {
    const nonce = randomUUID();
    const refused = await send('alice', { to: { agent: 'bob' }, payload: { total: -3 }, nonce });
    expect(refused.status).toBe(400);
    expect(refused.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['payload.order_id', 'payload.total']);
    expect((await pull('bob')).body.items).toEqual([]);
    const log = await api('GET', '/api/v1/messages?limit=500', 'admin');
    expect(log.body.items.some((m: { nonce: string }) => m.nonce === nonce)).toBe(false);
    // The nonce was not spent either: the corrected message goes through with it.
    expect((await send('alice', { to: { agent: 'bob' }, payload: { order_id: 'o1', total: 3 }, nonce })).status).toBe(201);
    await drain('bob');
  });

  it('takes the sender from the token, never from the body', async () => {
    const spoofed = await send('alice', { to: { agent: 'bob' }, payload: { order_id: 'o2', total: 1 }, sender: 'carol', from: 'carol' });
    expect(spoofed.status).toBe(400);
    expect(spoofed.body.message).toMatch(/sender|from/);
    const sent = await send('alice', { to: { agent: 'bob' }, payload: { order_id: 'o2', total: 1 } });
    expect(sent.body).toMatchObject({ from: 'alice', to: { agent: 'bob' }, status: 'accepted', recipients: ['bob'] });
    const [item] = await drain('bob');
    expect(item.message).toMatchObject({ id: sent.body.id, from: 'alice', payload: { order_id: 'o2', total: 1 } });
  });

  it('wakes a long-polling inbox as soon as a message is sent', async () => {
    const started = Date.now();
    const waiting = pull('bob', '?wait=20');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the pull is parked
    const sent = await send('carol', { to: { agent: 'bob' }, payload: { order_id: 'o3', total: 2 } });
    const { body } = await waiting;
    expect(body.items.map((i: any) => i.message.id)).toEqual([sent.body.id]);
    expectWithinBound('a parked 20 s long poll woken by a send', since(started), 10_000);
    await ack('bob', body.items[0].delivery_id);
  });

  it('hands an unacknowledged message out again after its lease, with the same delivery id', async () => {
    const sent = await send('alice', { to: { agent: 'dave' }, payload: { order_id: 'o4', total: 4 } });
    const first = (await pull('dave')).body.items;
    expect(first).toHaveLength(1);
    expect((await pull('dave')).body.items).toEqual([]); // leased: not handed out twice at once
    const second = (await pull('dave', '?wait=5')).body.items; // the 1 s lease runs out
    expect(second.map((i: any) => [i.delivery_id, i.attempt, i.message.id])).toEqual([[first[0].delivery_id, 2, sent.body.id]]);
    expect((await ack('dave', first[0].delivery_id)).status).toBe(200);
    expect((await ack('dave', first[0].delivery_id)).status).toBe(200); // acking twice is fine
    expect((await ack('bob', first[0].delivery_id)).status).toBe(404); // not bob's entry
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await pull('dave')).body.items).toEqual([]);
  });

  it('refuses a repeated nonce, also after a restart and on a second instance', async () => {
    const nonce = randomUUID();
    const payload = { order_id: 'o5', total: 5 };
    expect((await send('alice', { to: { agent: 'bob' }, payload, nonce })).status).toBe(201);
    const again = await send('alice', { to: { agent: 'bob' }, payload, nonce });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/nonce/);
    // Another sender's nonces are its own
    expect((await send('carol', { to: { agent: 'bob' }, payload, nonce })).status).toBe(201);
    await ctx.restart();
    expect((await send('alice', { to: { agent: 'bob' }, payload, nonce })).status).toBe(409);
    const second = await startTestApp(ctx.database.db, ENV);
    try {
      expect((await send('alice', { to: { agent: 'bob' }, payload, nonce }, second.url)).status).toBe(409);
    } finally {
      await second.close();
    }
    expect((await drain('bob')).map((i) => i.message.from).sort()).toEqual(['alice', 'carol']);
  });

  it('denies a target that cannot receive with a 403 and its reason, and logs the denial', async () => {
    const nonce = randomUUID();
    const denied = await send('alice', { to: { agent: 'vera' }, payload: { order_id: 'o6', total: 6 }, nonce });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/vera \(role viewer\) cannot receive/);
    const unknown = await send('alice', { to: { agent: 'nobody' }, payload: { order_id: 'o6', total: 6 } });
    expect(unknown.status).toBe(403);
    const log = await api('GET', '/api/v1/messages?limit=500', 'admin');
    const row = log.body.items.find((m: { nonce: string }) => m.nonce === nonce);
    expect(row).toMatchObject({ status: 'denied', from: 'alice', to: { agent: 'vera' } });
    expect(row.deny_reason).toMatch(/cannot receive/);
    expect((await api('GET', `/api/v1/messages/${row.id}`, 'admin')).body.deliveries).toEqual([]);
    // A viewer cannot send at all (the access guard)
    expect((await send('vera', { to: { agent: 'bob' }, payload: { order_id: 'o6', total: 6 } })).status).toBe(403);
  });

  it('routes a reply back to the requester, once, and only from a recipient', async () => {
    const request = await send('alice', { kind: 'request', type: 'quote@1', to: { agent: 'bob' }, payload: { item: 'tea' }, ttl_seconds: 30 });
    expect(request.status).toBe(201);
    expect(request.body.correlation_id).toBe(request.body.id);
    const [received] = await drain('bob');
    expect(received.message).toMatchObject({ kind: 'request', from: 'alice', correlation_id: request.body.id });
    const stranger = await send('carol', { kind: 'reply', type: 'quote', payload: { price: 1 }, correlation_id: request.body.id });
    expect(stranger.status).toBe(400);
    expect(stranger.body.details[0].path).toBe('correlation_id');
    const reply = await send('bob', { kind: 'reply', type: 'quote', payload: { price: 3 }, correlation_id: request.body.id });
    expect(reply.status).toBe(201);
    expect(reply.body.to).toEqual({ agent: 'alice' });
    const twice = await send('bob', { kind: 'reply', type: 'quote', payload: { price: 4 }, correlation_id: request.body.id });
    expect(twice.status).toBe(409);
    const answers = await drain('alice');
    expect(answers.map((i) => [i.message.kind, i.message.from, i.message.correlation_id, i.message.payload])).toEqual([
      ['reply', 'bob', request.body.id, { price: 3 }],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // no timeout reply for an answered request
    expect(await drain('alice')).toEqual([]);
  });

  it('answers a request nobody answered within its TTL with a timeout reply', async () => {
    const request = await send('alice', { kind: 'request', type: 'quote@1', to: { agent: 'dave' }, payload: {}, ttl_seconds: 1 });
    const { body } = await pull('alice', '?wait=10');
    expect(body.items.map((i: any) => [i.message.kind, i.message.type, i.message.from, i.message.correlation_id])).toEqual([
      ['reply', 'baton.timeout', 'baton', request.body.id],
    ]);
    await ack('alice', body.items[0].delivery_id);
    // The request expired unread: dave never sees it, and a late reply is refused.
    expect((await pull('dave')).body.items).toEqual([]);
    const late = await send('dave', { kind: 'reply', type: 'quote', payload: { price: 1 }, correlation_id: request.body.id });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/already answered or timed out/);
    const stored = await api('GET', `/api/v1/messages/${request.body.id}`, 'admin');
    expect(stored.body).toMatchObject({ answered_by: 'baton' });
    expect(stored.body.deliveries).toEqual([{ recipient: 'dave', status: 'expired', attempts: 0 }]);
  });

  it('broadcasts to every subscriber of a topic, once each, not to the sender', async () => {
    for (const who of ['bob', 'carol', 'dave', 'alice'] as const) {
      expect((await api('POST', '/api/v1/topics/orders/subscriptions', who)).body.created).toBe(true);
    }
    expect((await api('POST', '/api/v1/topics/orders/subscriptions', 'bob')).body.created).toBe(false);
    expect((await api('GET', '/api/v1/topics/orders/subscriptions', 'vera')).body.agents).toEqual(['alice', 'bob', 'carol', 'dave']);
    const sent = await send('alice', { to: { topic: 'orders' }, payload: { order_id: 'o7', total: 7 } });
    expect(sent.body.recipients).toEqual(['bob', 'carol', 'dave']);
    for (const who of ['bob', 'carol', 'dave'] as const) {
      expect((await drain(who)).map((i) => i.message.id)).toEqual([sent.body.id]);
    }
    expect(await drain('alice')).toEqual([]);
    expect((await api('DELETE', '/api/v1/topics/orders/subscriptions', 'dave')).status).toBe(204);
    const next = await send('alice', { to: { topic: 'orders' }, payload: { order_id: 'o8', total: 8 } });
    expect(next.body.recipients).toEqual(['bob', 'carol']);
    await Promise.all(['bob', 'carol'].map((who) => drain(who as Name)));
  });

  it('delivers a message sent before a restart afterwards, and from another instance', async () => {
    const sent = await send('alice', { to: { agent: 'carol' }, payload: { order_id: 'o9', total: 9 } });
    const toDave = await send('alice', { to: { agent: 'dave' }, payload: { order_id: 'o10', total: 10 } });
    await ctx.restart();
    expect((await drain('carol')).map((i) => i.message.id)).toEqual([sent.body.id]);
    const second: TestApp = await startTestApp(ctx.database.db, ENV);
    let closed = false;
    try {
      const { body } = await pull('dave', '', second.url);
      expect(body.items.map((i: any) => i.message.id)).toEqual([toDave.body.id]);
      await ack('dave', body.items[0].delivery_id);
      // A long poll on one instance is woken by a send on the other: NOTIFY on Postgres. Two
      // instances on one in-process PGlite have no shared channel (a real PGlite deployment is
      // one process), so there the 1 s safety-net recheck delivers it.
      const waiting = pull('dave', '?wait=20', second.url);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      const third = await send('alice', { to: { agent: 'dave' }, payload: { order_id: 'o11', total: 11 } });
      expect((await waiting).body.items.map((i: any) => i.message.id)).toEqual([third.body.id]);
      if (kind === 'postgres') expectWithinBound('a long poll woken across instances (the recheck is 1 s)', since(started), 900);
      // A long poll does not hold a closing server open: it answers (empty) at once.
      const parked = pull('dave', '?wait=30', second.url);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const closing = Date.now();
      await second.close();
      closed = true;
      expect((await parked).body.items).toEqual([]);
      expectWithinBound('closing a server with a parked 30 s long poll', since(closing), 10_000);
    } finally {
      if (!closed) await second.close();
    }
    await drain('dave');
  });

  it('drops an event whose TTL passed before it was pulled', async () => {
    const sent = await send('alice', { to: { agent: 'carol' }, payload: { order_id: 'o12', total: 12 }, ttl_seconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect((await pull('carol')).body.items).toEqual([]);
    const stored = await api('GET', `/api/v1/messages/${sent.body.id}`, 'admin');
    expect(stored.body.deliveries[0].status).toBe('expired');
  });

  it('stores external events idempotently by id, across instances', async () => {
    const id = `ext-${randomUUID()}`;
    const second = await startTestApp(ctx.database.db, ENV);
    try {
      const [a, b] = await Promise.all([
        api('POST', '/api/v1/events/external', 'alice', { name: 'invoice.paid', data: { n: 1 }, id }),
        api('POST', '/api/v1/events/external', 'bob', { name: 'invoice.paid', data: { n: 1 }, id }, second.url),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 201]);
      expect(a.body.event_id).toBe(b.body.event_id);
    } finally {
      await second.close();
    }
    const listed = await api('GET', '/api/v1/events/external?name=invoice.paid', 'vera');
    expect(listed.body.items.filter((e: { id: string }) => e.id === id)).toHaveLength(1);
    const bad = await api('POST', '/api/v1/events/external', 'alice', { name: '', id: 'message:x' });
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['id', 'name']);
    // An agent's `event` message is an event too
    const sent = await send('alice', { to: { agent: 'bob' }, payload: { order_id: 'o13', total: 13 } });
    const events = await api('GET', '/api/v1/events/external?name=order.placed', 'vera');
    expect(events.body.items[0]).toMatchObject({ id: `message:${sent.body.id}`, source: 'agent:alice', data: { order_id: 'o13' } });
    await drain('bob');
  });
});
