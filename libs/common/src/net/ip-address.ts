import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A network (`10.0.0.0/8`, `fd00::/8`); a single address is a /32 or /128. */
export interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
  text: string;
}

/** What kind of place an address points to; `public` is everything not listed. */
export type AddressCategory =
  | 'metadata'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'public';

const WIDTH = { 4: 32, 6: 128 } as const;

/**
 * Parses a canonical IP literal (what DNS answers and what the WHATWG URL parser leaves in a
 * hostname: `127.1` or `0x7f000001` are already `127.0.0.1` there). Brackets and an IPv6
 * zone (`%eth0`) are accepted. Anything else is undefined.
 */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(bare)) return { family: 4, value: parseV4(bare) };
  if (isIPv6(bare)) return { family: 6, value: parseV6(bare) };
  return undefined;
}

function parseV4(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function parseV6(text: string): bigint {
  let s = text.toLowerCase();
  // A trailing dotted quad (`::ffff:127.0.0.1`) is the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseV4(dotted[1]);
    s = `${s.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.split('::');
  const first = head ? head.split(':') : [];
  const last = tail ? tail.split(':') : [];
  const groups = tail === undefined ? first : [...first, ...Array<string>(8 - first.length - last.length).fill('0'), ...last];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a single address; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefix, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const width = WIDTH[ip.family];
  const bits = prefix === undefined ? width : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits >= 0 && bits <= width)) return undefined;
  return { family: ip.family, base: ip.value, bits, text: text.trim() };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const shift = BigInt(WIDTH[ip.family] - cidr.bits);
  return ip.value >> shift === cidr.base >> shift;
}

/**
 * The IPv4 address an IPv6 address carries and would reach: IPv4-mapped (`::ffff:a.b.c.d`,
 * which a dual-stack socket connects to over IPv4), IPv4-compatible (`::a.b.c.d`), NAT64
 * (`64:ff9b::/96`) and 6to4 (`2002::/16`). Undefined for an IPv4 address or any other IPv6.
 */
export function embeddedIpv4(ip: IpAddress): IpAddress | undefined {
  if (ip.family !== 6) return undefined;
  const high = ip.value >> 32n;
  const low = ip.value & 0xffffffffn;
  if (high === 0xffffn || high === 0x64ff9b0000000000000000n) return { family: 4, value: low };
  if (high === 0n && ip.value > 1n) return { family: 4, value: low };
  if (ip.value >> 112n === 0x2002n) return { family: 4, value: (ip.value >> 80n) & 0xffffffffn };
  return undefined;
}

const RANGES: Array<[string, AddressCategory]> = [
  // Cloud metadata endpoints first: they sit inside link-local and private ranges.
  ['169.254.169.254/32', 'metadata'], // AWS, GCP (metadata.google.internal), Azure, OpenStack
  ['169.254.170.2/32', 'metadata'], // AWS ECS task credentials
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud
  ['fd00:ec2::254/128', 'metadata'], // AWS over IPv6
  ['0.0.0.0/8', 'unspecified'], // "this host": connecting to 0.0.0.0 reaches the local machine
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'private'], // carrier-grade NAT
  ['198.18.0.0/15', 'private'], // benchmarking networks
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'], // includes 255.255.255.255
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['fc00::/7', 'private'], // unique local
  ['fec0::/10', 'private'], // site-local (deprecated, still routed inside some networks)
  ['ff00::/8', 'multicast'],
];
const CATEGORY_RANGES = RANGES.map(([text, category]) => ({ cidr: parseCidr(text)!, category }));

/** The category of an address; an IPv6 address carrying an IPv4 one is judged by that one. */
export function categorize(ip: IpAddress): AddressCategory {
  const inner = embeddedIpv4(ip);
  if (inner) return categorize(inner);
  return CATEGORY_RANGES.find(({ cidr }) => cidrContains(cidr, ip))?.category ?? 'public';
}

/** Canonical text: dotted quad, or IPv6 in full lower-case hex groups (for messages and tests). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  const groups = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((ip.value >> shift) & 0xffffn).toString(16));
  return groups.join(':');
}
