import { BatonConfig } from '../config.js';
import { BatonError } from '../baton-error.js';
import { assertUrlAllowed, EgressDeniedError, egressDenialOf, EgressPolicy, isLoopbackListenHost } from './egress-policy.js';
import { parseEgressRules } from './egress-rules.js';

const policy = (env: Record<string, string>) => EgressPolicy.fromConfig(new BatonConfig(env));
const onLoopback = policy({});
const exposed = policy({ HOST: '0.0.0.0' });

describe('egress rules', () => {
  it('reads CIDRs, addresses and host patterns separated by commas or spaces', () => {
    const { rules, errors } = parseEgressRules(' 10.0.0.0/8, ::1  agents.example.com,*.Corp.Example. ');
    expect(errors).toEqual([]);
    expect(rules.cidrs.map((c) => c.text)).toEqual(['10.0.0.0/8', '::1']);
    expect(rules.hosts).toEqual(['agents.example.com', '*.corp.example']);
  });

  it('names each entry it cannot read, and the configuration refuses to start with it', () => {
    expect(parseEgressRules('10.0.0.0/40, bad host!, *').errors).toHaveLength(3);
    expect(() => new BatonConfig({ BATON_OUTBOUND_DENY: '300.0.0.1' })).toThrow(BatonError);
    expect(() => new BatonConfig({ BATON_OUTBOUND_ALLOW: 'ok.example, 10.0.0.0/99' })).toThrow(
      expect.objectContaining({ details: [{ path: 'BATON_OUTBOUND_ALLOW', message: expect.stringContaining('10.0.0.0/99') }] }),
    );
  });
});

describe('egress policy', () => {
  it('knows a loopback listen address', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost', 'LOCALHOST.']) expect(isLoopbackListenHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com']) expect(isLoopbackListenHost(host)).toBe(false);
  });

  it('allows loopback and private ranges only while Baton listens on loopback', () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '192.168.0.10', 'fd12::1']) {
      expect(onLoopback.checkAddress(address)).toEqual({ allowed: true });
      expect(exposed.checkAddress(address)).toEqual({ allowed: false, reason: expect.stringMatching(/allowed only while Baton listens on loopback/) });
    }
  });

  it('always denies metadata and link-local addresses, and allows public ones', () => {
    for (const p of [onLoopback, exposed]) {
      for (const address of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe']) {
        expect(p.checkAddress(address)).toEqual({ allowed: false, reason: 'cloud metadata address, always denied' });
      }
      expect(p.checkAddress('169.254.10.10')).toEqual({ allowed: false, reason: 'default: link-local addresses are always denied' });
      expect(p.checkAddress('fe80::1')).toMatchObject({ allowed: false });
      expect(p.checkAddress('0.0.0.0')).toMatchObject({ allowed: false });
      expect(p.checkAddress('8.8.8.8')).toEqual({ allowed: true });
    }
  });

  it('denies what BATON_OUTBOUND_DENY names, by CIDR (also inside mapped IPv6) or host pattern', () => {
    const p = policy({ BATON_OUTBOUND_DENY: '127.0.0.2/32, 203.0.113.0/24, *.internal' });
    expect(p.checkAddress('127.0.0.1')).toEqual({ allowed: true });
    expect(p.checkAddress('127.0.0.2')).toEqual({ allowed: false, reason: 'BATON_OUTBOUND_DENY: 127.0.0.2/32' });
    expect(p.checkAddress('::ffff:203.0.113.7')).toEqual({ allowed: false, reason: 'BATON_OUTBOUND_DENY: 203.0.113.0/24' });
    expect(p.checkAddress('8.8.8.8', 'db.internal')).toEqual({ allowed: false, reason: 'BATON_OUTBOUND_DENY: *.internal' });
    expect(p.checkAddress('8.8.8.8', 'internal')).toEqual({ allowed: true });
  });

  it('lets BATON_OUTBOUND_ALLOW open a CIDR or host name, but never a metadata address, and DENY wins over it', () => {
    const p = policy({ HOST: '0.0.0.0', BATON_OUTBOUND_ALLOW: '10.1.0.0/16, agents.corp.example, 169.254.0.0/16', BATON_OUTBOUND_DENY: '10.1.9.0/24' });
    expect(p.checkAddress('10.1.2.3')).toEqual({ allowed: true });
    expect(p.checkAddress('10.2.0.1')).toMatchObject({ allowed: false });
    expect(p.checkAddress('10.1.9.1')).toEqual({ allowed: false, reason: 'BATON_OUTBOUND_DENY: 10.1.9.0/24' });
    expect(p.checkAddress('192.168.5.5', 'agents.corp.example')).toEqual({ allowed: true });
    expect(p.checkAddress('192.168.5.5', 'other.corp.example')).toMatchObject({ allowed: false });
    expect(p.checkAddress('169.254.3.3')).toEqual({ allowed: true });
    expect(p.checkAddress('169.254.169.254')).toMatchObject({ allowed: false, reason: 'cloud metadata address, always denied' });
  });

  it('judges literal addresses in every URL spelling before any connection', () => {
    for (const url of ['http://127.1/', 'http://2130706433/', 'http://0x7f000001/', 'http://[::ffff:127.0.0.1]/', 'http://127.000.000.001:8080/x', 'http://0/']) {
      expect(exposed.checkUrl(url)).toMatchObject({ allowed: false });
    }
    expect(onLoopback.checkUrl('http://169.254.169.254/latest/meta-data/')).toMatchObject({ allowed: false });
    // A name is only known after resolution, unless a DENY pattern names it.
    expect(exposed.checkUrl('http://localhost:3000/')).toEqual({ allowed: true });
    expect(policy({ BATON_OUTBOUND_DENY: 'localhost' }).checkUrl('http://LocalHost./')).toMatchObject({ allowed: false });
  });

  it('turns a refused URL into a 400 naming the field, and an error message naming address and rule', () => {
    expect(() => assertUrlAllowed(exposed, 'http://127.1:9/', 'url')).toThrow(
      expect.objectContaining({ kind: 'validation', details: [{ path: 'url', message: expect.stringContaining('127.0.0.1') }] }),
    );
    const error = new EgressDeniedError('127.0.0.1', 'localhost', 'BATON_OUTBOUND_DENY: 127.0.0.0/8');
    expect(error.message).toBe('outbound address 127.0.0.1 (localhost) is denied by the egress policy (BATON_OUTBOUND_DENY: 127.0.0.0/8)');
    expect(egressDenialOf(new TypeError('fetch failed', { cause: error }))).toBe(error);
    expect(egressDenialOf(new Error('other'))).toBeUndefined();
  });
});
