import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { EgressDeniedError, type EgressPolicy } from './egress-policy.js';
import { normalizeHostname } from './egress-rules.js';

/** `dns.lookup` with `all: true`: every address a name resolves to. Injectable for tests. */
export type Resolver = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/**
 * A `lookup` for `net.connect` that refuses a name when ANY address it resolves to is
 * denied (a name answering both a public and a loopback address must not get a second
 * chance through happy eyeballs). It runs for every new connection, so a name whose DNS
 * answer changes after it was checked (DNS rebinding) is judged on the new answer.
 */
export function guardedLookup(policy: EgressPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      }
      for (const { address } of addresses) {
        const verdict = policy.checkAddress(address, hostname);
        if (!verdict.allowed) return callback(new EgressDeniedError(address, hostname, verdict.reason), '', 0);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * An undici connector that applies the policy to every connection it opens: a literal
 * address host is judged before connecting (no lookup happens for it), a name through
 * `guardedLookup`, and the address the socket actually reached is checked once more.
 */
export function guardedConnector(policy: EgressPolicy, resolve?: Resolver): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(policy, resolve) });
  return (options, callback) => {
    const host = normalizeHostname(options.hostname);
    if (isIP(host)) {
      const verdict = policy.checkAddress(host, host);
      if (!verdict.allowed) return callback(new EgressDeniedError(host, undefined, verdict.reason), null);
    }
    connect(options, (error, socket) => {
      if (error) return callback(error, null);
      const remote = socket!.remoteAddress;
      const verdict = remote ? policy.checkAddress(remote, host) : { allowed: true as const };
      if (!verdict.allowed) {
        socket!.destroy();
        return callback(new EgressDeniedError(remote!, host, verdict.reason), null);
      }
      callback(null, socket!);
    });
  };
}

/**
 * The one way Baton makes outbound HTTP requests (agents, agent cards, A2A transports,
 * webhooks, A2A push notifications): a `fetch` whose connections all pass the egress
 * policy. It is undici's own `fetch` with an undici `Agent`, not Node's global `fetch` with a
 * dispatcher from another undici copy, which newer Node versions refuse.
 */
export class OutboundHttp {
  readonly fetch: typeof globalThis.fetch;
  private readonly dispatcher: Agent;

  constructor(
    readonly policy: EgressPolicy,
    resolve?: Resolver,
  ) {
    this.dispatcher = new Agent({ connect: guardedConnector(policy, resolve) });
    const dispatcher = this.dispatcher;
    this.fetch = (async (input: unknown, init?: object) => {
      if (typeof input !== 'string' && !(input instanceof URL)) {
        throw new TypeError('outbound fetch takes a URL string or URL, not a Request');
      }
      return undiciFetch(input, { ...(init ?? {}), dispatcher } as Parameters<typeof undiciFetch>[1]);
    }) as unknown as typeof globalThis.fetch;
  }

  /** Closes idle connections (tests; the process exit does it otherwise). */
  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }
}
