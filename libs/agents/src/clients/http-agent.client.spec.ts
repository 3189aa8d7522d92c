import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatonConfig, EgressPolicy, OutboundHttp } from '@baton/common';
import { AgentCallError, type Agent, type InvocationContext } from '../agent.types.js';
import { HttpAgentClient } from './http-agent.client.js';
import { expectWithinBound, since } from '@baton/testing';

/** A real agent on loopback; each path answers one way. */
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

function startAgentServer(received: Received[]): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ path: request.url!, headers: request.headers, body });
      const json = (status: number, value: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      switch (request.url) {
        case '/ok':
          return json(200, { answer: 42, got: JSON.parse(body) });
        case '/empty':
          return response.writeHead(200).end();
        case '/text':
          return response.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
        case '/fail':
          return json(500, { error: 'boom' });
        case '/missing':
          return response.writeHead(404).end('no such route here');
        case '/busy':
          return response.writeHead(429).end('slow down');
        case '/moved':
          return response.writeHead(302, { location: '/ok' }).end();
        case '/slow':
          return void setTimeout(() => json(200, { late: true }), 2_000).unref();
        default:
          return json(400, { error: 'unknown path' });
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const context: InvocationContext = { runId: 'run-1', stepId: 'step-9', stepKey: 'research', attempt: 3 };

describe('HttpAgentClient against a real HTTP agent', () => {
  // The default policy of a Baton on loopback: this agent on 127.0.0.1 is reachable.
  const outbound = new OutboundHttp(EgressPolicy.fromConfig(new BatonConfig({})));
  const client = new HttpAgentClient(outbound);
  const received: Received[] = [];
  let server: Server;
  let base: string;

  const agentAt = (path: string, headers: Record<string, string> = {}): Agent => ({
    id: 'a1',
    name: 'researcher',
    kind: 'http',
    url: `${base}${path}`,
    capabilities: [],
    headers,
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  const call = (path: string, signal = AbortSignal.timeout(5_000)) =>
    client.invoke(agentAt(path), { topic: 'tides' }, context, signal);
  const failure = async (promise: Promise<unknown>): Promise<AgentCallError> => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AgentCallError);
    return error as AgentCallError;
  };

  beforeAll(async () => {
    server = await startAgentServer(received);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => void (received.length = 0));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await outbound.close();
  });

  it('posts the input as JSON with the agent headers and Baton call headers', async () => {
    const agent = agentAt('/ok', { authorization: 'Bearer s3cret', 'x-team': 'blue' });
    const output = await client.invoke(agent, { topic: 'tides' }, context, AbortSignal.timeout(5_000));

    expect(output).toEqual({ answer: 42, got: { topic: 'tides' } });
    const [request] = received;
    expect(JSON.parse(request.body)).toEqual({ topic: 'tides' });
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer s3cret',
      'x-team': 'blue',
      'x-baton-run-id': 'run-1',
      'x-baton-step-id': 'step-9',
      'x-baton-attempt': '3',
      'idempotency-key': 'step-9:3',
    });
  });

  it('returns null for an empty 2xx body', async () => {
    expect(await call('/empty')).toBeNull();
  });

  it('refuses a 2xx body that is not JSON, without retry', async () => {
    const error = await failure(call('/text'));
    expect(error).toMatchObject({ retryable: false, code: 'invalid_output', status: 200 });
    expect(error.message).toContain('<html>hello</html>');
  });

  it('treats a 5xx as retryable', async () => {
    const error = await failure(call('/fail'));
    expect(error).toMatchObject({ retryable: true, status: 500 });
    expect(error.message).toContain('boom');
  });

  it('treats 429 as retryable', async () => {
    expect(await failure(call('/busy'))).toMatchObject({ retryable: true, status: 429 });
  });

  it('treats other 4xx as final, quoting the status and body', async () => {
    const error = await failure(call('/missing'));
    expect(error).toMatchObject({ retryable: false, code: 'agent_rejected', status: 404 });
    expect(error.message).toContain('404');
    expect(error.message).toContain('no such route here');
  });

  it('does not follow a redirect (it would resend the POST as a GET without input)', async () => {
    const error = await failure(call('/moved'));
    expect(error).toMatchObject({ retryable: false, status: 302 });
    expect(received.map((r) => r.path)).toEqual(['/moved']);
  });

  it('reports a deadline as a retryable timeout', async () => {
    const started = Date.now();
    const error = await failure(call('/slow', AbortSignal.timeout(150)));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
    expectWithinBound('a 150 ms deadline on a slow agent', since(started), 5_000);
  });

  it("reports the caller's abort as cancelled, not retryable", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(call('/slow', controller.signal));
    expect(error).toMatchObject({ retryable: false, code: 'cancelled' });
  });

  it('treats a refused connection as retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const agent = { ...agentAt('/ok'), url: `http://127.0.0.1:${port}/ok` };
    const error = await failure(client.invoke(agent, {}, context, AbortSignal.timeout(5_000)));
    expect(error).toMatchObject({ retryable: true, code: 'connection_error' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('refuses an address the egress policy denies, without retry, and the agent receives nothing', async () => {
    // A Baton that does not listen on loopback may not call loopback agents.
    const exposed = new OutboundHttp(EgressPolicy.fromConfig(new BatonConfig({ HOST: '0.0.0.0' })));
    try {
      const guarded = new HttpAgentClient(exposed);
      const port = new URL(base).port;
      for (const url of [`http://127.1:${port}/ok`, `http://[::ffff:127.0.0.1]:${port}/ok`, `http://localhost:${port}/ok`]) {
        const error = await failure(guarded.invoke({ ...agentAt('/ok'), url }, {}, context, AbortSignal.timeout(5_000)));
        expect(error).toMatchObject({ retryable: false, code: 'egress_denied' });
        expect(error.message).toMatch(/outbound address \S+( \(localhost\))? is denied by the egress policy \(default: loopback addresses/);
      }
      expect(received).toEqual([]);
    } finally {
      await exposed.close();
    }
  });
});
