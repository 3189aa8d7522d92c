import { BatonError } from '../baton-error.js';
import type { BatonConfig } from '../config.js';
import { matchAddress, matchHost, normalizeHostname, NO_RULES, parseEgressRules, type EgressRules } from './egress-rules.js';
import { categorize, formatIp, parseIp } from './ip-address.js';

export type EgressVerdict = { allowed: true } | { allowed: false; reason: string };

export interface EgressPolicyOptions {
  allow?: EgressRules;
  deny?: EgressRules;
  /** Loopback and private ranges are reachable by default (Baton itself listens on loopback). */
  privateAllowed: boolean;
}

const ALLOWED: EgressVerdict = { allowed: true };

/**
 * Which addresses Baton may open connections to (agents, agent cards, webhooks, A2A pushes).
 * Judged on the address actually connected to, after resolution, in this order:
 * 1. cloud metadata addresses: always denied;
 * 2. `BATON_OUTBOUND_DENY` (CIDR on the address, pattern on the host name): denied;
 * 3. `BATON_OUTBOUND_ALLOW`: allowed;
 * 4. defaults: public addresses allowed; loopback and private ranges only while Baton listens
 *    on loopback (the single-machine set-up, where agents run beside it); link-local,
 *    unspecified, multicast and reserved addresses denied.
 */
export class EgressPolicy {
  private readonly allow: EgressRules;
  private readonly deny: EgressRules;
  readonly privateAllowed: boolean;

  constructor(options: EgressPolicyOptions) {
    this.allow = options.allow ?? NO_RULES;
    this.deny = options.deny ?? NO_RULES;
    this.privateAllowed = options.privateAllowed;
  }

  /** The policy the configuration describes (rules were already validated by `BatonConfig`). */
  static fromConfig(config: BatonConfig): EgressPolicy {
    return new EgressPolicy({
      allow: parseEgressRules(config.outboundAllow).rules,
      deny: parseEgressRules(config.outboundDeny).rules,
      privateAllowed: isLoopbackListenHost(config.host),
    });
  }

  /** May Baton connect to `address`, reached by the name `hostname` (the URL's host)? */
  checkAddress(address: string, hostname?: string): EgressVerdict {
    const ip = parseIp(address);
    if (!ip) return { allowed: false, reason: 'not an IP address' };
    const category = categorize(ip);
    if (category === 'metadata') return { allowed: false, reason: 'cloud metadata address, always denied' };
    const deniedCidr = matchAddress(this.deny, ip);
    if (deniedCidr) return { allowed: false, reason: `BATON_OUTBOUND_DENY: ${deniedCidr.text}` };
    const deniedHost = hostname === undefined ? undefined : matchHost(this.deny, hostname);
    if (deniedHost) return { allowed: false, reason: `BATON_OUTBOUND_DENY: ${deniedHost}` };
    if (matchAddress(this.allow, ip) || (hostname !== undefined && matchHost(this.allow, hostname))) return ALLOWED;
    switch (category) {
      case 'public':
        return ALLOWED;
      case 'loopback':
      case 'private':
        return this.privateAllowed
          ? ALLOWED
          : { allowed: false, reason: `default: ${category} addresses are allowed only while Baton listens on loopback` };
      default:
        return { allowed: false, reason: `default: ${category} addresses are always denied` };
    }
  }

  /** The refusal for a host name known before any lookup (a `BATON_OUTBOUND_DENY` pattern). */
  checkHostname(hostname: string): EgressVerdict {
    const pattern = matchHost(this.deny, hostname);
    return pattern ? { allowed: false, reason: `BATON_OUTBOUND_DENY: ${pattern}` } : ALLOWED;
  }

  /**
   * What can be known about a URL before connecting: a literal address (in any spelling the
   * URL parser accepts: `127.1`, `2130706433`, `[::ffff:7f00:1]`) or a denied host pattern.
   * A name that resolves to a denied address passes here and is refused at connect time.
   */
  checkUrl(url: string): EgressVerdict {
    let hostname: string;
    try {
      hostname = normalizeHostname(new URL(url).hostname);
    } catch {
      return ALLOWED; // not a URL: the caller's own validation says so
    }
    return parseIp(hostname) ? this.checkAddress(hostname, hostname) : this.checkHostname(hostname);
  }

  /** Throws `EgressDeniedError` unless `address` may be connected to. */
  assertAddress(address: string, hostname?: string): void {
    const verdict = this.checkAddress(address, hostname);
    if (!verdict.allowed) throw new EgressDeniedError(address, hostname, verdict.reason);
  }
}

/** A connection refused by the egress policy; never worth retrying as such. */
export class EgressDeniedError extends Error {
  readonly code = 'EGRESS_DENIED';

  constructor(
    readonly address: string,
    readonly hostname: string | undefined,
    readonly reason: string,
  ) {
    super(egressDeniedMessage(address, hostname, reason));
    this.name = 'EgressDeniedError';
  }
}

export function egressDeniedMessage(address: string, hostname: string | undefined, reason: string): string {
  const ip = parseIp(address);
  const shown = ip ? formatIpShort(address, ip.family) : address;
  const name = hostname && normalizeHostname(hostname) !== normalizeHostname(address) ? ` (${hostname})` : '';
  return `outbound address ${shown}${name} is denied by the egress policy (${reason})`;
}

function formatIpShort(address: string, family: 4 | 6): string {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  return family === 4 ? formatIp(parseIp(bare)!) : bare;
}

/** The egress refusal behind an error (fetch wraps it as `cause`), if that is what it was. */
export function egressDenialOf(error: unknown): EgressDeniedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof EgressDeniedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A 400 naming `path` when a URL is refused before any connection. */
export function assertUrlAllowed(policy: EgressPolicy, url: string, path: string): void {
  const verdict = policy.checkUrl(url);
  if (!verdict.allowed) throw BatonError.validation([{ path, message: urlDeniedMessage(url, verdict.reason) }]);
}

/** The message for a URL refused up front. */
export function urlDeniedMessage(url: string, reason: string): string {
  let host = url;
  try {
    host = new URL(url).hostname;
  } catch {
    // keep the text
  }
  return `points to ${host}, which is denied by the egress policy (${reason})`;
}

/** Loopback listen addresses: `127.x.x.x`, `::1`, `localhost`. */
export function isLoopbackListenHost(host: string): boolean {
  const bare = normalizeHostname(host);
  if (bare === 'localhost') return true;
  const ip = parseIp(bare);
  return ip !== undefined && categorize(ip) === 'loopback';
}
