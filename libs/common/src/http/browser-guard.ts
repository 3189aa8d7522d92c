import { isIP } from 'node:net';

/**
 * Refuses requests a web page made the visitor's browser send (cross-site request forgery)
 * and requests that reached Baton under a name it does not serve (DNS rebinding). Both
 * matter most with auth off on loopback, where a request needs no token at all: any page
 * could otherwise POST a plan to `/a2a` or cancel runs.
 *
 * - `Origin`: absent (curl, agents, server-side clients) or the request's own origin passes;
 *   so do configured origins (`BATON_ALLOWED_ORIGINS`, `*` for any). Anything else, `null`
 *   included, is refused.
 * - `Host`: on loopback only loopback names pass (`localhost`, `127.0.0.1`, `[::1]`, the
 *   listen host) plus configured ones (`BATON_ALLOWED_HOSTS`, `*` turns the check off). On
 *   other addresses the Host is checked only when `BATON_ALLOWED_HOSTS` is set: auth is on
 *   there, and a browser never adds the bearer token by itself, so a rebound page gains
 *   nothing, while Baton cannot know every name a proxy or DNS gives it.
 */
export interface BrowserGuardOptions {
  listenHost: string;
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
}

export interface RequestHeaders {
  origin?: string | string[];
  host?: string | string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

export class BrowserRequestPolicy {
  private readonly anyOrigin: boolean;
  private readonly origins: Set<string>;
  /** Null when the Host is not checked. */
  private readonly hosts: Set<string> | null;

  constructor(options: BrowserGuardOptions) {
    this.anyOrigin = options.allowedOrigins.includes('*');
    this.origins = new Set(options.allowedOrigins.filter((o) => o !== '*').map(normalizeOrigin));
    const configured = options.allowedHosts.map((host) => bareHost(host) ?? host.toLowerCase());
    const loopback = isLoopback(options.listenHost);
    if (configured.includes('*') || (!loopback && configured.length === 0)) {
      this.hosts = null;
    } else {
      const listen = bareHost(options.listenHost);
      this.hosts = new Set([...LOOPBACK_NAMES, ...configured, ...(listen && !isWildcard(listen) ? [listen] : [])]);
    }
  }

  /** Why the request must be refused, or undefined when it may go on. */
  refusal(headers: RequestHeaders): string | undefined {
    const host = single(headers.host);
    if (this.hosts && host) {
      const name = bareHost(host);
      if (!name || !this.hosts.has(name)) {
        return `Host "${host.slice(0, 200)}" is not a name this server answers to (DNS rebinding guard); add it to BATON_ALLOWED_HOSTS to serve it`;
      }
    }
    const origin = single(headers.origin);
    if (origin === undefined || this.anyOrigin) return undefined;
    if (host && sameOrigin(origin, host)) return undefined;
    if (this.origins.has(normalizeOrigin(origin))) return undefined;
    return `cross-origin request from ${JSON.stringify(origin.slice(0, 200))} refused; add the origin to BATON_ALLOWED_ORIGINS to allow it`;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The Origin's host and port are the request's Host (the scheme may differ behind a TLS proxy). */
function sameOrigin(origin: string, host: string): boolean {
  const url = parseOrigin(origin);
  if (!url) return false;
  const defaultPort = url.protocol === 'https:' ? ':443' : ':80';
  const requested = host.toLowerCase().replace(new RegExp(`${defaultPort}$`), '');
  return url.host === requested;
}

function parseOrigin(origin: string): URL | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function normalizeOrigin(origin: string): string {
  return parseOrigin(origin)?.origin ?? origin.toLowerCase();
}

/** The host name of a Host header or listen address, lower case, without port or brackets. */
export function bareHost(host: string): string | undefined {
  const text = host.trim().toLowerCase();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    return end > 1 ? text.slice(1, end) : undefined;
  }
  if (isIP(text) === 6) return text; // a bare IPv6 listen address
  const colon = text.indexOf(':');
  const name = colon >= 0 ? text.slice(0, colon) : text;
  return name.length > 0 ? name : undefined;
}

function isLoopback(host: string): boolean {
  const bare = bareHost(host) ?? '';
  return bare === 'localhost' || bare === '::1' || bare === '::ffff:127.0.0.1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
