import { BatonConfig, BatonError, EgressPolicy } from '@baton/common';
import { validateRegistration, type RegisterAgentInput } from './agent-registration.js';

function fieldErrors(input: RegisterAgentInput, egress?: EgressPolicy): string[] {
  try {
    validateRegistration(input, egress);
  } catch (error) {
    expect(error).toBeInstanceOf(BatonError);
    return ((error as BatonError).details as Array<{ path: string }>).map((e) => e.path);
  }
  throw new Error('expected a validation error');
}

describe('agent registration rules', () => {
  it('normalises a valid registration: trimmed, deduplicated capabilities', () => {
    const result = validateRegistration({
      name: 'writer',
      kind: 'http',
      url: 'https://writer.example/run',
      capabilities: [' write ', 'write', 'edit'],
      headers: { 'x-api-key': 'k' },
    });
    expect(result).toEqual({
      name: 'writer',
      kind: 'http',
      url: 'https://writer.example/run',
      capabilities: ['write', 'edit'],
      headers: { 'x-api-key': 'k' },
      trustedOrigins: [],
    });
  });

  it('names every bad field at once', () => {
    expect(
      fieldErrors({ name: 'builtin:mine', kind: 'http', url: 'ftp://x', capabilities: ['ok', 7, ''], maxConcurrency: 0 }),
    ).toEqual(['name', 'url', 'capabilities[1]', 'capabilities[2]', 'maxConcurrency']);
  });

  it('requires a url for http and a2a agents', () => {
    expect(fieldErrors({ name: 'a', kind: 'a2a' })).toEqual(['url']);
  });

  it('registers worker agents without a url, and refuses one with a url', () => {
    expect(validateRegistration({ name: 'resize', kind: 'worker', capabilities: ['images'] })).toMatchObject({ name: 'resize', kind: 'worker' });
    expect(validateRegistration({ name: 'resize', kind: 'worker' }).url).toBeUndefined();
    expect(fieldErrors({ name: 'resize', kind: 'worker', url: 'http://a.test' })).toEqual(['url']);
  });

  it('refuses registering a built-in kind and unknown kinds', () => {
    expect(fieldErrors({ name: 'a', kind: 'builtin' })).toEqual(['kind']);
    expect(fieldErrors({ name: 'a', kind: 'grpc', url: 'http://a.test' })).toEqual(['kind']);
  });

  it('refuses names that do not fit in a URL path segment', () => {
    expect(fieldErrors({ name: 'team/agent', kind: 'http', url: 'http://a.test' })).toEqual(['name']);
  });

  it('refuses headers Baton sets itself and non-string values', () => {
    expect(
      fieldErrors({ name: 'a', kind: 'http', url: 'http://a.test', headers: { 'Idempotency-Key': 'x', 'x-n': 5, 'bad name': 'v' } }),
    ).toEqual(['headers.Idempotency-Key', 'headers.x-n', 'headers.bad name']);
  });

  it('keeps trusted origins as origins, and refuses anything more than an origin', () => {
    const result = validateRegistration({
      name: 'a',
      kind: 'a2a',
      url: 'https://a.example/',
      trustedOrigins: ['https://B.example:8443', 'https://b.example:8443/', 'http://c.example'],
    });
    expect(result.trustedOrigins).toEqual(['https://b.example:8443', 'http://c.example']);
    expect(
      fieldErrors({ name: 'a', kind: 'a2a', url: 'https://a.example', trustedOrigins: ['https://b.example/path', 'ftp://c', 7, 'https://u:p@d.example'] }),
    ).toEqual(['trustedOrigins[0]', 'trustedOrigins[1]', 'trustedOrigins[2]', 'trustedOrigins[3]']);
  });

  it('refuses a url the egress policy denies up front, in any spelling of the address', () => {
    const exposed = EgressPolicy.fromConfig(new BatonConfig({ HOST: '0.0.0.0', BATON_OUTBOUND_DENY: '*.internal' }));
    for (const url of ['http://127.1/', 'http://2130706433/', 'http://0x7f000001/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/', 'http://db.internal/']) {
      expect(fieldErrors({ name: 'a', kind: 'http', url }, exposed)).toEqual(['url']);
    }
    // A name is judged when it is resolved, at call time.
    expect(validateRegistration({ name: 'a', kind: 'http', url: 'http://localhost:9/' }, exposed).url).toBe('http://localhost:9/');
    // A loopback Baton may register loopback agents; the metadata address never.
    const local = EgressPolicy.fromConfig(new BatonConfig({}));
    expect(validateRegistration({ name: 'a', kind: 'http', url: 'http://127.0.0.1:9/' }, local).url).toBe('http://127.0.0.1:9/');
    expect(fieldErrors({ name: 'a', kind: 'http', url: 'http://169.254.169.254/' }, local)).toEqual(['url']);
  });
});
