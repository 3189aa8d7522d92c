import { canonicalCopy, canonicalJson, contentHash } from './canonical-json.js';
import { LruCache } from './lru-cache.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
  });

  it('drops undefined members like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });

  it('hashes equal values equally whatever their key order', () => {
    expect(contentHash({ x: 1, y: [1, { p: 1, q: 2 }] })).toBe(contentHash({ y: [1, { q: 2, p: 1 }], x: 1 }));
    expect(contentHash({ x: 1 })).not.toBe(contentHash({ x: 2 }));
  });
});

/** How canonicalJson first worked (copy everything, then stringify): content hashes stored with it must still match. */
function copyEverything(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyEverything);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = copyEverything(member);
  }
  return sorted;
}

/** A seeded random JSON value with the awkward parts: integer-like keys, unsorted and sorted objects, nesting. */
function randomJson(seed: number): unknown {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const keys = ['a', 'b', 'z', '0', '2', '10', 'é', 'A', '_', 'id', 'depends_on'];
  const build = (depth: number): unknown => {
    const kind = depth > 3 ? next(4) : next(7);
    if (kind === 0) return next(1000) - 500;
    if (kind === 1) return keys[next(keys.length)];
    if (kind === 2) return next(2) === 0 ? null : true;
    if (kind === 3) return next(3) === 0 ? 1.5 : `s${next(50)}`;
    if (kind === 4) return Array.from({ length: next(4) }, () => build(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = next(5); i > 0; i--) object[keys[next(keys.length)]!] = build(depth + 1);
    return object;
  };
  return build(0);
}

describe('canonicalCopy', () => {
  it('serializes byte for byte as copying everything did', () => {
    const awkward: unknown[] = [
      { b: [1, { d: 1, c: [] }], a: undefined, f: () => 1, e: new Date(0) },
      { 10: 'ten', 2: 'two', b: 1, a: 2 },
      { a: [undefined, () => 1, null], b: { a: 1 } },
      JSON.parse('{"__proto__": {"x": 1}, "a": 1}'),
      JSON.parse('{"a": {"__proto__": 1}}'),
      Object.assign(Object.create(null), { b: 1, a: 2 }),
      { url: new URL('https://example.com/'), buffer: Buffer.from('hi'), map: new Map([[1, 2]]) },
      [new Date(1), 'x', 3],
      'text',
      42,
      null,
    ];
    for (const value of awkward) expect(JSON.stringify(canonicalCopy(value))).toBe(JSON.stringify(copyEverything(value)));
    for (let seed = 1; seed <= 500; seed++) {
      const value = randomJson(seed);
      expect(JSON.stringify(canonicalCopy(value))).toBe(JSON.stringify(copyEverything(value)));
    }
  });

  it('shares subtrees that are already canonical and never changes its input', () => {
    const input = { b: ['x', 'y'], a: { c: 1, d: [1, 2] } };
    const before = JSON.stringify(input);
    const copy = canonicalCopy(input) as typeof input;
    expect(copy).not.toBe(input);
    expect(copy.b).toBe(input.b);
    expect(copy.a).toBe(input.a);
    expect(Object.keys(copy)).toEqual(['a', 'b']);
    expect(JSON.stringify(input)).toBe(before);
    const sorted = { a: 1, b: [{ c: 1 }] };
    expect(canonicalCopy(sorted)).toBe(sorted);
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry past its bound', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('expires entries after their time to live', () => {
    const cache = new LruCache<string, number>(10);
    cache.set('a', 1, 1000, 0);
    expect(cache.get('a', 999)).toBe(1);
    expect(cache.get('a', 1000)).toBeUndefined();
  });

  it('caches nothing with a bound of zero', () => {
    const cache = new LruCache<string, number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });
});
