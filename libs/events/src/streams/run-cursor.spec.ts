import { childPath, formatRunCursor, parseRunCursor } from './run-cursor.js';

describe('run stream cursor', () => {
  it('reads a plain seq as the root position with no open children', () => {
    expect(parseRunCursor('12')).toEqual({ root: 12, open: new Map() });
    expect(formatRunCursor({ root: 12, open: new Map() })).toBe('12');
  });

  it('round-trips open children named by their paths', () => {
    const text = '12;7=3;7/4=0';
    const cursor = parseRunCursor(text)!;
    expect(cursor.root).toBe(12);
    expect([...cursor.open]).toEqual([
      ['7', 3],
      ['7/4', 0],
    ]);
    expect(formatRunCursor(cursor)).toBe(text);
  });

  it('rejects anything else', () => {
    for (const bad of ['', 'x', '-1', '1.5', '3;', '3;7', '3;a=1', '3;7=x', '3;/7=1']) {
      expect(parseRunCursor(bad)).toBeNull();
    }
  });

  it('names children by the seq of the event that started them', () => {
    expect(childPath('', 7)).toBe('7');
    expect(childPath('7', 4)).toBe('7/4');
  });
});
