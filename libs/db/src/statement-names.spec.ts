import { StatementNames } from './statement-names.js';

describe('StatementNames', () => {
  it('names a text the second time it is seen, and keeps that name', () => {
    const names = new StatementNames();
    expect(names.nameFor('select $1')).toBeUndefined();
    const name = names.nameFor('select $1');
    expect(name).toMatch(/^baton_\d+$/);
    expect(names.nameFor('select $1')).toBe(name);
    expect(names.nameFor('select $1 + 1')).toBeUndefined();
  });

  it('names at most maxNamed texts; the rest go unnamed', () => {
    const names = new StatementNames(2);
    for (const sql of ['a', 'b', 'c']) {
      names.nameFor(sql);
      names.nameFor(sql);
    }
    expect(names.size).toBe(2);
    expect(names.nameFor('c')).toBeUndefined();
    expect(names.nameFor('a')).toBeDefined();
  });

  it('never names a refused text again, and never gives its name to another', () => {
    const names = new StatementNames();
    names.nameFor('a');
    const a = names.nameFor('a');
    names.refuse('a');
    expect(names.nameFor('a')).toBeUndefined();
    expect(names.nameFor('a')).toBeUndefined();
    names.nameFor('b');
    expect(names.nameFor('b')).not.toBe(a);
  });

  it('forgets one-off texts past maxCounted instead of growing', () => {
    const names = new StatementNames(10, 3);
    for (const sql of ['a', 'b', 'c', 'd']) names.nameFor(sql);
    // 'a' was forgotten when 'd' arrived: seeing it again counts as its first sighting.
    expect(names.nameFor('a')).toBeUndefined();
    expect(names.nameFor('d')).toBeDefined();
  });
});
