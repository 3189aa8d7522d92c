import { stepCacheKey, type CacheIdentity } from './cache-key.js';

const base: CacheIdentity = {
  definitionId: '00000000-0000-0000-0000-000000000001',
  definitionVersion: '1',
  owner: 'acme',
  stepId: 'research',
  agent: 'builtin:echo',
  input: { topic: 'tides', depth: 2 },
};

describe('stepCacheKey', () => {
  it('is a SHA-256 hex digest', () => {
    expect(stepCacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores the order of object keys in the input', () => {
    expect(stepCacheKey({ ...base, input: { depth: 2, topic: 'tides' } })).toBe(stepCacheKey(base));
  });

  it.each([
    ['definition id', { definitionId: '00000000-0000-0000-0000-000000000002' }],
    ['definition version', { definitionVersion: '2' }],
    ['owner', { owner: 'other' }],
    ['step id', { stepId: 'summarize' }],
    ['agent', { agent: 'builtin:transform' }],
    ['input', { input: { topic: 'tides', depth: 3 } }],
    ['prompt', { prompt: 'summarize briefly' }],
  ])('changes when the %s changes', (_what, change) => {
    expect(stepCacheKey({ ...base, ...change })).not.toBe(stepCacheKey(base));
  });
});
