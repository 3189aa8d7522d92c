import { BatonError } from '@baton/common';
import { validateRegistration, type RegisterAgentInput } from './agent-registration.js';

function fieldErrors(input: RegisterAgentInput): string[] {
  try {
    validateRegistration(input);
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
});
