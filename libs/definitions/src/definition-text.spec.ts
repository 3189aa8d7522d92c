import { contentHash } from '@baton/common';
import { layeredDagDefinition } from './graph/layered-dag.fixture.js';
import { bodyText, hashBody } from './definition-text.js';

/** How content hashes were computed before `bodyText`; stored hashes must keep matching it. */
function firstHash(body: Record<string, unknown>): string {
  const version = typeof body.version === 'number' ? String(body.version) : body.version;
  return contentHash({ ...body, owner: undefined, version });
}

describe('bodyText', () => {
  const bodies: Array<Record<string, unknown>> = [
    { name: 'a', version: '1', steps: [{ id: 's', agent: 'builtin:echo' }] },
    { version: 2, name: 'b', owner: 'acme', description: 'x', steps: [{ agent: 'builtin:echo', id: 's', input: { z: 1, a: [null, { y: 'é', b: '\u2028' }] } }] },
    { steps: [{ id: 's', agent: 'builtin:echo' }], version: 1.5, owner: '' },
    { name: 'c', version: '1', steps: [{ id: 's', agent: 'builtin:echo', input: { 10: 'ten', 2: 'two', b: 1, a: 2 } }], triggers: [{ event: 'e' }] },
    layeredDagDefinition(300),
  ];

  it('hashes exactly as stored hashes were first computed', () => {
    for (const body of bodies) expect(hashBody(body)).toBe(firstHash(body));
  });

  it('stores the whole body, owner and version as written included', () => {
    for (const body of bodies) expect(JSON.parse(bodyText(body).json)).toEqual(body);
  });

  it('ignores the owner and the type of the version in the hash', () => {
    const base = { name: 'a', version: '1', steps: [{ id: 's', agent: 'builtin:echo' }] };
    expect(hashBody({ ...base, owner: 'acme' })).toBe(hashBody(base));
    expect(hashBody({ ...base, version: 1 })).toBe(hashBody(base));
    expect(hashBody({ ...base, name: 'b' })).not.toBe(hashBody(base));
  });
});
