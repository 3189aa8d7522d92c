import { findHostileInput, rememberClean, stringProblem, wasFoundClean } from './hostile-input.js';

const limits = { maxDepth: 64 };

describe('findHostileInput', () => {
  it('accepts ordinary JSON, emoji and paired surrogates included', () => {
    expect(findHostileInput({ name: 'a', steps: [{ id: 's', input: { text: 'tides 🌊', n: 1, ok: true, none: null } }] }, limits)).toBeUndefined();
  });

  it('names the field holding a NUL character', () => {
    expect(findHostileInput({ steps: [{ id: 's' }, { input: { text: 'a\u0000b' } }] }, limits)).toEqual({
      path: 'steps[1].input.text',
      message: 'must not contain NUL characters (\\u0000)',
    });
  });

  it('names the field holding a lone surrogate, high or low', () => {
    expect(findHostileInput({ a: 'x\ud800' }, limits)).toEqual({ path: 'a', message: expect.stringMatching(/lone UTF-16 surrogate/) });
    expect(findHostileInput({ a: ['\udfffx'] }, limits)?.path).toBe('a[0]');
  });

  it('refuses a key with a NUL and a __proto__ key anywhere', () => {
    expect(findHostileInput({ input: { 'k\u0000': 1 } }, limits)).toEqual({ path: 'input', message: expect.stringMatching(/has a key that must not contain NUL/) });
    expect(findHostileInput(JSON.parse('{"__proto__": {"polluted": true}}'), limits)).toEqual({ path: '__proto__', message: 'is not an accepted field name' });
    expect(findHostileInput(JSON.parse('{"plan": {"steps": [{"__proto__": 1}]}}'), limits)?.path).toBe('plan.steps[0].__proto__');
  });

  it('stops at the depth limit without recursing, even 100,000 levels down', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(findHostileInput({ a: deep }, limits)).toEqual({ path: `a${'[0]'.repeat(63)}`, message: 'is nested deeper than 64 levels' });
    expect(findHostileInput(JSON.parse('['.repeat(64) + ']'.repeat(64)), limits)).toBeUndefined();
  });

  it('stops on a cyclic value (a YAML self-alias) as too deep', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle, cycle);
    expect(findHostileInput({ steps: cycle }, limits)?.message).toMatch(/deeper than 64/);
  });

  it('prefixes the root it is given', () => {
    expect(findHostileInput({ owner: '\u0000' }, limits, 'query')?.path).toBe('query.owner');
  });
});

describe('stringProblem', () => {
  it('is undefined for storable text', () => {
    expect(stringProblem('plain \ud83c\udf0a')).toBeUndefined();
  });
});

describe('rememberClean', () => {
  it('lets a later check skip an object walked under the same or a stricter depth limit', () => {
    const body = { steps: [{ id: 'a' }] };
    expect(wasFoundClean(body, 64)).toBe(false);
    rememberClean(body, { maxDepth: 32 });
    expect(wasFoundClean(body, 64)).toBe(true);
    expect(wasFoundClean(body, 16)).toBe(false);
    expect(wasFoundClean(body.steps, 64)).toBe(false);
  });
});
