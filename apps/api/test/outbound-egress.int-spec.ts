import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_CARD_PATH } from '@a2a-js/sdk';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { startV1TestAgent, type TestAgent } from '../../../libs/agents/src/clients/a2a/testing/a2a-test-agents.js';
import { stepOf } from './support/runs.js';
import { http, useTestServer } from './support/test-app.js';

/**
 * The egress guard end to end: Baton configured as if it served other machines
 * (`HOST=0.0.0.0`, auth on) while the test reaches it on 127.0.0.1, and real loopback sinks
 * standing in for agents and webhook receivers that must receive NOTHING.
 */

interface Sink {
  url: string;
  port: number;
  connections: number;
  requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  /** Answer for a path; default 200 `{}`. */
  route?: (path: string) => { status: number; headers?: Record<string, string>; body?: string } | undefined;
  close(): Promise<void>;
}

async function startSink(route?: Sink['route']): Promise<Sink> {
  return startSinkOn('127.0.0.1', route);
}

async function startSinkOn(address: string, route?: Sink['route']): Promise<Sink> {
  const sink = { connections: 0, requests: [], route } as unknown as Sink;
  const server: Server = createServer((request, response) => {
    sink.requests.push({ method: request.method!, url: request.url!, headers: request.headers });
    request.resume();
    const answer = sink.route?.(request.url!) ?? { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    response.writeHead(answer.status, answer.headers).end(answer.body ?? '');
  });
  server.on('connection', () => void sink.connections++);
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  sink.port = (server.address() as AddressInfo).port;
  sink.url = `http://${address}:${sink.port}`;
  sink.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return sink;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** Runs a one-step plan on `agent` and waits until the run ends. */
async function runStep(as: Api, agent: string): Promise<any> {
  const run = await as('POST', '/api/v1/runs', { plan: { steps: [{ id: 'call', agent, input: { q: 1 } }] }, input: {} });
  expect(run.status).toBe(201);
  return waitFor(
    async () => {
      const current = (await as('GET', `/api/v1/runs/${run.body.id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
    },
    { timeoutMs: 20_000, what: `run ${run.body.id}` },
  );
}

/** Every spelling of the sink's loopback address that must be refused. */
const spellings = (port: number) => ({
  '127.1': `http://127.1:${port}/`,
  '2130706433': `http://2130706433:${port}/`,
  '0x7f000001': `http://0x7f000001:${port}/`,
  '[::ffff:127.0.0.1]': `http://[::ffff:127.0.0.1]:${port}/`,
  localhost: `http://localhost:${port}/`,
});

describe.each(testDatabaseKinds())('outbound calls from a Baton that does not listen on loopback, on %s', (kind) => {
  const admin = `boot_${randomBytes(24).toString('hex')}`;
  const ctx = useTestServer(kind, { HOST: '0.0.0.0', BATON_BOOTSTRAP_TOKEN: admin, BATON_WEBHOOK_BACKOFF_MS: '60000' });
  const as = (method: string, path: string, body?: unknown, token = admin) => http(method, `${ctx.url}${path}`, body, bearer(token));
  let sink: Sink;

  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(() => sink?.close());

  it('refuses to register agents and webhooks at a literal loopback or metadata address, naming the field', async () => {
    const urls = { ...spellings(sink.port), metadata: 'http://169.254.169.254/latest/meta-data/' };
    delete (urls as Record<string, string>).localhost; // a name: known only when resolved
    for (const [spelling, url] of Object.entries(urls)) {
      for (const kindOfAgent of ['http', 'a2a']) {
        const agent = await as('POST', '/api/v1/agents', { name: `bad-${kindOfAgent}`, kind: kindOfAgent, url });
        expect({ spelling, status: agent.status, details: agent.body.details }).toEqual({
          spelling,
          status: 400,
          details: [{ path: 'url', message: expect.stringContaining('denied by the egress policy') }],
        });
      }
      const hook = await as('POST', '/api/v1/webhooks', { url, events: ['run.*'] });
      expect({ spelling, status: hook.status, path: hook.body.details?.[0]?.path }).toEqual({ spelling, status: 400, path: 'url' });
    }
    expect((await as('GET', '/api/v1/agents/bad-http')).status).toBe(404);
    expect((await as('GET', '/api/v1/webhooks')).body.items).toEqual([]);
  });

  it('fails an agent step at once with a clear error for every spelling, and the agent receives nothing', async () => {
    const cases = Object.entries(spellings(sink.port)).flatMap(([spelling, url]) => [
      { spelling, kind: 'http', url },
      { spelling, kind: 'a2a', url },
    ]);
    for (const [index, c] of cases.entries()) {
      // Registered through the database: the API would refuse the literal ones up front.
      await ctx.database.db.query(`insert into agents (name, kind, url, capabilities, headers) values ($1::text, $2::text, $3::text, '{}', '{}')`, [
        `sneaky-${index}`,
        c.kind,
        c.url,
      ]);
      const done = await runStep(as, `sneaky-${index}`);
      expect({ ...c, status: done.status, step: stepOf(done, 'call') }).toMatchObject({
        ...c,
        status: 'failed',
        step: {
          attempt: 1,
          error: {
            code: 'egress_denied',
            retryable: false,
            message: expect.stringMatching(/outbound address \S+( \(localhost\))? is denied by the egress policy \(default: loopback addresses/),
          },
        },
      });
    }
    expect(sink.connections).toBe(0);
  });

  it('records a webhook delivery to a name resolving to loopback as refused, and the receiver gets nothing', async () => {
    const hook = await as('POST', '/api/v1/webhooks', { url: `http://localhost:${sink.port}/hook`, events: ['run.completed'] });
    expect(hook.status).toBe(201);
    await as('POST', '/api/v1/runs', { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] }, input: {} });
    const delivery = await waitFor(
      async () => {
        const page = await as('GET', `/api/v1/webhooks/${hook.body.id}/deliveries`);
        // `attempts` goes up at the claim; the outcome is written after the attempt.
        return page.body.items.find((d: { lastError: string | null }) => d.lastError !== null);
      },
      { timeoutMs: 15_000, what: 'a delivery attempt' },
    );
    expect(delivery.lastError).toMatch(/^outbound address \S+ \(localhost\) is denied by the egress policy/);
    expect(sink.connections).toBe(0);
  });

  it('refuses A2A push configs at a literal loopback address, and records pushes to a loopback name as refused', async () => {
    const rpc = async (method: string, params: unknown) =>
      (await as('POST', '/a2a', { jsonrpc: '2.0', id: 1, method, params })).body;
    const sendWithPush = (url: string) =>
      rpc('message/send', {
        message: { kind: 'message', role: 'user', messageId: randomBytes(8).toString('hex'), parts: [{ kind: 'data', data: { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] }, input: {} } }] },
        configuration: { blocking: false, pushNotificationConfig: { url } },
      });

    const literal = await sendWithPush(`http://127.1:${sink.port}/push`);
    expect(literal.error).toMatchObject({ code: -32602, data: { fields: [{ path: 'url', message: expect.stringContaining('denied by the egress policy') }] } });

    // A sink of its own: the webhook test above got localhost:<sink.port> blocked as a failing
    // destination (BATON_WEBHOOK_BACKOFF_MS), which would hold this push back for a minute.
    const pushSink = await startSink();
    const named = await sendWithPush(`http://localhost:${pushSink.port}/push`);
    expect(named.result).toMatchObject({ kind: 'task' });
    const subscription = await waitFor(
      async () => (await as('GET', '/api/v1/webhooks')).body.items.find((w: { runId: string }) => w.runId === named.result.id),
      { timeoutMs: 10_000, what: 'the push subscription' },
    );
    const delivery = await waitFor(
      async () => (await as('GET', `/api/v1/webhooks/${subscription.id}/deliveries`)).body.items.find((d: { lastError: string | null }) => d.lastError !== null),
      { timeoutMs: 15_000, what: 'a push attempt' },
    );
    expect(delivery.lastError).toMatch(/^outbound address \S+ \(localhost\) is denied by the egress policy/);
    expect(sink.connections).toBe(0);
    expect(pushSink.connections).toBe(0);
    await pushSink.close();
  });

  it('answers header names only, never values, to every role', async () => {
    const headers = { authorization: 'Bearer v-1', 'x-auth-key': 'v-2', 'private-key': 'v-3', 'ocp-apim-subscription-key': 'v-4', 'x-plain': 'v-5' };
    expect((await as('POST', '/api/v1/agents', { name: 'secretive', kind: 'http', url: 'https://agent.example/', headers })).status).toBe(201);
    const tokens: Record<string, string> = { admin };
    for (const role of ['viewer', 'agent', 'operator']) {
      tokens[role] = (await as('POST', '/api/v1/tokens', { name: `t-${role}`, role })).body.token;
    }
    for (const [role, token] of Object.entries(tokens)) {
      const one = await as('GET', '/api/v1/agents/secretive', undefined, token);
      const all = await as('GET', '/api/v1/agents', undefined, token);
      expect({ role, status: one.status, headers: one.body.headers }).toEqual({
        role,
        status: 200,
        headers: ['authorization', 'ocp-apim-subscription-key', 'private-key', 'x-auth-key', 'x-plain'],
      });
      for (const value of Object.values(headers)) expect(JSON.stringify([one.body, all.body])).not.toContain(value);
    }
  });
});

describe.each(testDatabaseKinds())('BATON_OUTBOUND_ALLOW and A2A card origins, on %s', (kind) => {
  const ctx = useTestServer(kind, { HOST: '0.0.0.0', BATON_BOOTSTRAP_TOKEN: `boot_${randomBytes(24).toString('hex')}`, BATON_OUTBOUND_ALLOW: '127.0.0.1/32' });
  const token = () => ctx.server.config.bootstrapToken!;
  const as = (method: string, path: string, body?: unknown) => http(method, `${ctx.url}${path}`, body, bearer(token()));
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
  });
  const sinkFor = async (route?: Sink['route']) => {
    const sink = await startSink(route);
    closers.push(() => sink.close());
    return sink;
  };
  const agentFor = async () => {
    const agent: TestAgent = await startV1TestAgent('echo');
    closers.push(() => agent.close());
    return agent;
  };
  it('lets an allowed CIDR through while other loopback addresses stay denied', async () => {
    const sink = await sinkFor();
    expect((await as('POST', '/api/v1/agents', { name: 'allowed', kind: 'http', url: `${sink.url}/ok` })).status).toBe(201);
    expect((await runStep(as, 'allowed')).status).toBe('completed');
    expect(sink.requests.map((r) => r.url)).toEqual(['/ok']);
    const other = await as('POST', '/api/v1/agents', { name: 'other', kind: 'http', url: `http://127.0.0.2:${sink.port}/` });
    expect(other.status).toBe(400);
  });

  it("sends the agent's headers only to its registered origin, not to another origin its card names", async () => {
    const remote = await agentFor(); // origin B: the JSON-RPC endpoint the card names
    const card = await (await fetch(`${remote.url}/${AGENT_CARD_PATH}`)).text();
    const cardHost = await sinkFor((path) => (path.startsWith(`/${AGENT_CARD_PATH}`) ? { status: 200, headers: { 'content-type': 'application/json' }, body: card } : undefined));
    const headers = { authorization: 'Bearer only-for-a', 'x-api-key': 'also-only-for-a' };

    expect((await as('POST', '/api/v1/agents', { name: 'card-elsewhere', kind: 'a2a', url: cardHost.url, headers })).status).toBe(201);
    const done = await runStep(as, 'card-elsewhere');
    expect(done.status).toBe('completed');
    expect(cardHost.requests[0].headers).toMatchObject({ authorization: 'Bearer only-for-a', 'x-api-key': 'also-only-for-a' });
    expect(remote.received).toHaveLength(1);
    expect(remote.received[0].headers.authorization).toBeUndefined();
    expect(remote.received[0].headers['x-api-key']).toBeUndefined();

    // Trusting the card's origin explicitly sends them there too.
    const trusted = await as('POST', '/api/v1/agents', { name: 'card-trusted', kind: 'a2a', url: cardHost.url, headers, trustedOrigins: [remote.url] });
    expect(trusted.body.trustedOrigins).toEqual([remote.url]);
    expect((await runStep(as, 'card-trusted')).status).toBe('completed');
    expect(remote.received).toHaveLength(2);
    expect(remote.received[1].headers).toMatchObject({ authorization: 'Bearer only-for-a', 'x-api-key': 'also-only-for-a' });
  });

  it('refuses the endpoint a card names when the policy denies its address, which receives nothing', async () => {
    const remote = await agentFor();
    const denied = await startSinkOn('127.0.0.2');
    closers.push(() => denied.close());
    const card = (await (await fetch(`${remote.url}/${AGENT_CARD_PATH}`)).text()).replaceAll(remote.url, denied.url);
    const cardHost = await sinkFor(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: card }));
    expect((await as('POST', '/api/v1/agents', { name: 'card-to-denied', kind: 'a2a', url: cardHost.url })).status).toBe(201);
    const done = await runStep(as, 'card-to-denied');
    expect(stepOf(done, 'call')).toMatchObject({
      status: 'failed',
      attempt: 1,
      error: { code: 'egress_denied', retryable: false, message: expect.stringContaining('outbound address 127.0.0.2 is denied by the egress policy') },
    });
    expect(cardHost.requests).toHaveLength(1);
    expect(denied.connections).toBe(0);
  });

  it('refuses a card fetch redirected to another origin, which receives nothing', async () => {
    const elsewhere = await sinkFor();
    const redirecting = await sinkFor(() => ({ status: 302, headers: { location: `${elsewhere.url}/${AGENT_CARD_PATH}` } }));
    const response = await as('POST', '/api/v1/agents', { name: 'redirecting', kind: 'a2a', url: redirecting.url, headers: { authorization: 'Bearer x' } });
    expect(response.status).toBe(201);
    const done = await runStep(as, 'redirecting');
    expect(stepOf(done, 'call')).toMatchObject({
      status: 'failed',
      attempt: 1,
      error: { code: 'cross_origin_redirect', retryable: false, message: expect.stringContaining('redirects to another origin') },
    });
    expect(redirecting.requests).toHaveLength(1);
    expect(elsewhere.connections).toBe(0);
  });
});
