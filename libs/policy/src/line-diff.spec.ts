import { lineDiff } from './line-diff.js';

describe('lineDiff', () => {
  it('marks removed and added lines around the common ones', () => {
    const diff = lineDiff('a\nb\nc\nd', 'a\nc\nx\nd');
    expect(diff.map((d) => `${d.op}${d.line}`)).toEqual([' a', '-b', ' c', '+x', ' d']);
  });

  it('handles empty texts', () => {
    expect(lineDiff('', 'a').map((d) => `${d.op}${d.line}`)).toEqual(['-', '+a']);
    expect(lineDiff('a', 'a')).toEqual([{ op: ' ', line: 'a' }]);
  });
});
