import { categorize, cidrContains, embeddedIpv4, formatIp, parseCidr, parseIp, type IpAddress } from './ip-address.js';

const ip = (text: string): IpAddress => {
  const parsed = parseIp(text);
  if (!parsed) throw new Error(`not an address: ${text}`);
  return parsed;
};

describe('IP addresses', () => {
  it('parses IPv4 and IPv6 literals, with brackets and zones, and nothing else', () => {
    expect(formatIp(ip('127.0.0.1'))).toBe('127.0.0.1');
    expect(formatIp(ip('[::1]'))).toBe('0:0:0:0:0:0:0:1');
    expect(formatIp(ip('fe80::1%eth0'))).toBe('fe80:0:0:0:0:0:0:1');
    expect(formatIp(ip('1::'))).toBe('1:0:0:0:0:0:0:0');
    expect(formatIp(ip('::ffff:127.0.0.1'))).toBe('0:0:0:0:0:ffff:7f00:1');
    for (const text of ['127.1', '2130706433', '0x7f000001', 'localhost', '1.2.3.4.5', '', '::g']) expect(parseIp(text)).toBeUndefined();
  });

  it('finds the IPv4 address inside mapped, compatible, NAT64 and 6to4 IPv6 addresses', () => {
    expect(formatIp(embeddedIpv4(ip('::ffff:7f00:1'))!)).toBe('127.0.0.1');
    expect(formatIp(embeddedIpv4(ip('::10.0.0.1'))!)).toBe('10.0.0.1');
    expect(formatIp(embeddedIpv4(ip('64:ff9b::a9fe:a9fe'))!)).toBe('169.254.169.254');
    expect(formatIp(embeddedIpv4(ip('2002:c0a8:0101::1'))!)).toBe('192.168.1.1');
    expect(embeddedIpv4(ip('::1'))).toBeUndefined();
    expect(embeddedIpv4(ip('2001:db8::1'))).toBeUndefined();
    expect(embeddedIpv4(ip('10.0.0.1'))).toBeUndefined();
  });

  it.each([
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.20.30.40', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::abcd', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
  ])('classifies %s as %s', (address, category) => {
    expect(categorize(ip(address))).toBe(category);
  });

  it('parses CIDRs and single addresses, and refuses malformed ones', () => {
    const net = parseCidr('10.0.0.0/8')!;
    expect(cidrContains(net, ip('10.255.1.2'))).toBe(true);
    expect(cidrContains(net, ip('11.0.0.1'))).toBe(false);
    expect(cidrContains(net, ip('::ffff:10.0.0.1'))).toBe(false); // families differ; rules look inside separately
    expect(cidrContains(parseCidr('0.0.0.0/0')!, ip('203.0.113.9'))).toBe(true);
    expect(cidrContains(parseCidr('fd00::/8')!, ip('fd12::1'))).toBe(true);
    expect(cidrContains(parseCidr('127.0.0.2')!, ip('127.0.0.2'))).toBe(true);
    expect(cidrContains(parseCidr('127.0.0.2')!, ip('127.0.0.3'))).toBe(false);
    for (const text of ['10.0.0.0/33', '::/129', '10.0.0.0/x', '10.0.0/8', '10.0.0.0/8/1', 'example.com/8']) expect(parseCidr(text)).toBeUndefined();
  });
});
