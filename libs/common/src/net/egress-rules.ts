import { cidrContains, embeddedIpv4, parseCidr, type Cidr, type IpAddress } from './ip-address.js';

/** One of BATON_OUTBOUND_ALLOW / BATON_OUTBOUND_DENY, parsed. */
export interface EgressRules {
  cidrs: Cidr[];
  /** Lower-case host names; `*.example.com` matches every name below example.com. */
  hosts: string[];
}

export const NO_RULES: EgressRules = { cidrs: [], hosts: [] };

const HOST_PATTERN = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * Parses a list of CIDRs (`10.0.0.0/8`, `fd00::/8`), addresses (`10.1.2.3`, `::1`) and host
 * patterns (`agents.example.com`, `*.corp.example`), separated by commas or spaces. Returns
 * the rules and one message per entry it could not read.
 */
export function parseEgressRules(raw: string | undefined): { rules: EgressRules; errors: string[] } {
  const rules: EgressRules = { cidrs: [], hosts: [] };
  const errors: string[] = [];
  for (const entry of (raw ?? '').split(/[\s,]+/).filter(Boolean)) {
    const looksNumeric = entry.includes('/') || entry.includes(':') || /^[\d.]+$/.test(entry);
    if (looksNumeric) {
      const cidr = parseCidr(entry);
      if (cidr) rules.cidrs.push(cidr);
      else errors.push(`"${entry}" is not a CIDR or IP address`);
      continue;
    }
    const host = normalizeHostname(entry);
    if (HOST_PATTERN.test(host)) rules.hosts.push(host);
    else errors.push(`"${entry}" is not a host name, *.domain pattern, CIDR or IP address`);
  }
  return { rules, errors };
}

/** Lower case, without brackets or a trailing dot: how names are compared. */
export function normalizeHostname(hostname: string): string {
  return hostname.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** The rule matching a host name, if any (exact name, or `*.domain` for names below it). */
export function matchHost(rules: EgressRules, hostname: string): string | undefined {
  const host = normalizeHostname(hostname);
  return rules.hosts.find((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern));
}

/** The CIDR matching an address, or the IPv4 address it carries (`::ffff:10.0.0.1`), if any. */
export function matchAddress(rules: EgressRules, ip: IpAddress): Cidr | undefined {
  const inner = embeddedIpv4(ip);
  return rules.cidrs.find((cidr) => cidrContains(cidr, ip) || (inner !== undefined && cidrContains(cidr, inner)));
}
