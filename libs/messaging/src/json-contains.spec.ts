import { jsonContains } from './json-contains.js';

describe('jsonContains (Postgres @> semantics)', () => {
  it('matches a subset of keys, recursively', () => {
    expect(jsonContains({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } })).toBe(true);
    expect(jsonContains({ a: 1 }, {})).toBe(true);
    expect(jsonContains({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonContains({ a: 1 }, { b: 1 })).toBe(false);
  });

  it('treats arrays as sets of contained elements and never confuses types', () => {
    expect(jsonContains({ tags: ['x', 'y', 'z'] }, { tags: ['z', 'x'] })).toBe(true);
    expect(jsonContains({ tags: ['x'] }, { tags: ['q'] })).toBe(false);
    expect(jsonContains({ n: '1' }, { n: 1 })).toBe(false);
    expect(jsonContains(null, {})).toBe(false);
    expect(jsonContains([1], { 0: 1 })).toBe(false);
  });
});
