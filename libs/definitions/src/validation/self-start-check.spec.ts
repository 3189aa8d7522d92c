import type { DefinitionRef, StepSpec } from '../definition.types.js';
import { findSelfStart, type DefinitionNode } from './self-start-check.js';

const agent = (id: string): StepSpec => ({ id, type: 'agent', agent: 'builtin:echo' } as StepSpec);
const child = (id: string, definition: DefinitionRef): StepSpec => ({ id, type: 'orchestration', definition } as StepSpec);
const node = (name: string, steps: StepSpec[], version = '1', owner = ''): DefinitionNode => ({ id: `${owner}/${name}@${version}`, owner, name, version, steps });

/** Stored definitions; "latest" is the last one listed for a name. */
function lookupOver(stored: DefinitionNode[]) {
  return async (ref: DefinitionRef) =>
    stored.filter((d) => d.name === ref.name && d.owner === (ref.owner ?? '') && (ref.version === undefined || d.version === ref.version)).at(-1);
}
const paths = (...ids: string[]) => new Map(ids.map((id, i) => [id, `steps[${i}]`]));

describe('findSelfStart', () => {
  it('finds a step that starts its own definition by name (latest)', async () => {
    const root = node('loop', [agent('a'), child('again', { name: 'loop' })]);
    expect(await findSelfStart(root, lookupOver([]), paths('a', 'again'))).toEqual({
      path: 'steps[1].definition',
      message: 'starts "loop" again ("loop" → "loop"); a definition may not start itself, directly or through others',
    });
  });

  it('finds a step pinned to its own version, but not to another version of the name', async () => {
    expect(await findSelfStart(node('loop', [child('again', { name: 'loop', version: '2' })], '2'), lookupOver([]), paths('again'))).toBeDefined();
    const older = node('loop', [agent('a')], '1');
    expect(await findSelfStart(node('loop', [child('old', { name: 'loop', version: '1' })], '2'), lookupOver([older]), paths('old'))).toBeUndefined();
  });

  it('finds a cycle through other stored definitions and names the chain', async () => {
    const b = node('b', [child('to-c', { name: 'c' })]);
    const c = node('c', [child('to-a', { name: 'a' })]);
    const a = node('a', [agent('first'), child('to-b', { name: 'b' })]);
    expect(await findSelfStart(a, lookupOver([b, c]), paths('first', 'to-b'))).toEqual({
      path: 'steps[1].definition',
      message: expect.stringContaining('("a" → "b" → "c" → "a")'),
    });
  });

  it('tells owners apart: a reference without owner means the empty owner', async () => {
    const root = node('loop', [child('again', { name: 'loop' })], '1', 'acme');
    expect(await findSelfStart(root, lookupOver([]), paths('again'))).toBeUndefined();
    expect(await findSelfStart(node('loop', [child('again', { name: 'loop', owner: 'acme' })], '1', 'acme'), lookupOver([]), paths('again'))).toBeDefined();
  });

  it('accepts chains that end, references that do not resolve yet, and cycles not through the root', async () => {
    const b = node('b', [child('to-b', { name: 'b' })]); // stored before the rule existed
    const a = node('a', [child('to-b', { name: 'b' }), child('to-x', { name: 'not-stored-yet' })]);
    expect(await findSelfStart(a, lookupOver([b]), paths('to-b', 'to-x'))).toBeUndefined();
  });
});
