import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatonConfig } from '../config.js';
import { EgressDeniedError, egressDenialOf, EgressPolicy } from './egress-policy.js';
import { OutboundHttp, type Resolver } from './outbound-http.js';

/** A real HTTP server on one loopback address that counts TCP connections and requests. */
interface Sink {
  server: Server;
  port: number;
  connections: number;
  requests: Array<{ url: string; host?: string }>;
}

async function startSink(address: string, port = 0): Promise<Sink> {
  const sink = { connections: 0, requests: [] } as unknown as Sink;
  sink.server = createServer((request, response) => {
    sink.requests.push({ url: request.url!, host: request.headers.host });
    // A fresh connection per request, so every request goes through the connector again.
    response.setHeader('connection', 'close');
    response.end('{"ok":true}');
  });
  sink.server.on('connection', () => void sink.connections++);
  await new Promise<void>((resolve, reject) => {
    sink.server.once('error', reject);
    sink.server.listen(port, address, resolve);
  });
  sink.port = (sink.server.address() as AddressInfo).port;
  return sink;
}

async function stopSink(sink: Sink | undefined): Promise<void> {
  if (!sink) return;
  sink.server.closeAllConnections();
  await new Promise((resolve) => sink.server.close(resolve));
}

/** Sinks on two loopback addresses sharing one port (retried if the port is taken on the second). */
async function sinkPair(a: string, b: string): Promise<[Sink, Sink]> {
  for (let attempt = 0; ; attempt++) {
    const first = await startSink(a);
    try {
      return [first, await startSink(b, first.port)];
    } catch (error) {
      await stopSink(first);
      if (attempt >= 5) throw error;
    }
  }
}

const outbound = (env: Record<string, string>, resolve?: Resolver) =>
  new OutboundHttp(EgressPolicy.fromConfig(new BatonConfig(env)), resolve);

async function refusal(promise: Promise<unknown>): Promise<EgressDeniedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  const denied = egressDenialOf(error);
  if (!denied) throw new Error(`expected an egress refusal, got ${String(error)}`);
  return denied;
}

describe('the guarded outbound fetch', () => {
  let sink: Sink;
  const clients: OutboundHttp[] = [];
  const client = (env: Record<string, string>, resolve?: Resolver) => {
    const made = outbound(env, resolve);
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    sink = await startSink('127.0.0.1');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stopSink(sink);
  });

  const spellings = (port: number) => [
    `http://127.1:${port}/a`,
    `http://2130706433:${port}/b`,
    `http://0x7f000001:${port}/c`,
    `http://[::ffff:127.0.0.1]:${port}/d`,
    `http://localhost:${port}/e`,
    `http://127.0.0.1:${port}/f`,
  ];

  it('refuses loopback in every spelling when Baton does not listen on loopback: the sink sees nothing', async () => {
    const exposed = client({ HOST: '0.0.0.0' });
    for (const url of spellings(sink.port)) {
      const denied = await refusal(exposed.fetch(url, { method: 'POST', body: '{}' }));
      expect(denied.message).toMatch(/^outbound address (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1|::ffff:7f00:1)( \(localhost\))? is denied by the egress policy \(default: loopback/);
    }
    expect(sink.connections).toBe(0);
    expect(sink.requests).toEqual([]);
  });

  it('refuses what BATON_OUTBOUND_DENY names even while on loopback', async () => {
    const denying = client({ BATON_OUTBOUND_DENY: '127.0.0.0/8, ::1' });
    for (const url of spellings(sink.port)) await refusal(denying.fetch(url));
    expect(sink.connections).toBe(0);
  });

  it('reaches loopback by default on a loopback Baton, and through BATON_OUTBOUND_ALLOW otherwise', async () => {
    const local = client({});
    expect(await (await local.fetch(`http://127.1:${sink.port}/local`)).json()).toEqual({ ok: true });
    const allowedCidr = client({ HOST: '0.0.0.0', BATON_OUTBOUND_ALLOW: '127.0.0.1/32' });
    expect((await allowedCidr.fetch(`http://0x7f000001:${sink.port}/cidr`)).status).toBe(200);
    // The allowed name may resolve to loopback; other loopback spellings stay denied.
    const allowedName = client({ HOST: '0.0.0.0', BATON_OUTBOUND_ALLOW: 'localhost' }, (_host, _options, callback) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }]),
    );
    expect((await allowedName.fetch(`http://localhost:${sink.port}/name`)).status).toBe(200);
    await refusal(allowedName.fetch(`http://127.0.0.1:${sink.port}/literal`));
    expect(sink.requests.map((r) => r.url)).toEqual(['/local', '/cidr', '/name']);
  });

  it('refuses a name when any address it resolves to is denied', async () => {
    const before = sink.connections;
    const mixed = client({ HOST: '0.0.0.0', BATON_OUTBOUND_ALLOW: '127.0.0.1/32' }, (_host, _options, callback) =>
      callback(null, [
        { address: '127.0.0.1', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ]),
    );
    const denied = await refusal(mixed.fetch(`http://agent.test:${sink.port}/`));
    expect(denied.message).toBe('outbound address 169.254.169.254 (agent.test) is denied by the egress policy (cloud metadata address, always denied)');
    expect(sink.connections).toBe(before);
  });

  it('judges every new connection on its own lookup, so DNS rebinding fails', async () => {
    // Two sinks on one port: the name first resolves to 127.0.0.1 (allowed), then to 127.0.0.2 (denied).
    const [first, rebound] = await sinkPair('127.0.0.1', '127.0.0.2');
    try {
      const answers = ['127.0.0.1', '127.0.0.2'];
      const lookups: string[] = [];
      const rebinding = client({ BATON_OUTBOUND_DENY: '127.0.0.2' }, (host, _options, callback) => {
        const address = answers[Math.min(lookups.length, answers.length - 1)];
        lookups.push(`${host}=${address}`);
        callback(null, [{ address, family: 4 }]);
      });
      const url = `http://rebind.test:${first.port}/`;
      expect((await rebinding.fetch(url)).status).toBe(200);
      const denied = await refusal(rebinding.fetch(url));
      expect(denied.address).toBe('127.0.0.2');
      expect(lookups).toEqual(['rebind.test=127.0.0.1', 'rebind.test=127.0.0.2']);
      expect(first.requests).toHaveLength(1);
      expect(rebound.connections).toBe(0);
    } finally {
      await Promise.all([stopSink(first), stopSink(rebound)]);
    }
  });
});
