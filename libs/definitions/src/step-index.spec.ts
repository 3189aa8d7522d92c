import type { Definition } from './definition.types.js';
import { stepSpecOf } from './step-index.js';

const definitionWith = (ids: string[]) => ({ id: 'same-id', steps: ids.map((id) => ({ id })) }) as unknown as Definition;

describe('stepSpecOf', () => {
  it('finds a step by id and answers undefined for a step the definition does not have', () => {
    const definition = definitionWith(['a', 'b']);
    expect(stepSpecOf(definition, 'b')).toBe(definition.steps[1]);
    expect(stepSpecOf(definition, 'a')).toBe(definition.steps[0]);
    expect(stepSpecOf(definition, 'z')).toBeUndefined();
  });

  it('indexes each definition object on its own, whatever its id says', () => {
    const first = definitionWith(['a']);
    const second = definitionWith(['b']);
    expect(stepSpecOf(first, 'a')).toBe(first.steps[0]);
    expect(stepSpecOf(second, 'a')).toBeUndefined();
    expect(stepSpecOf(second, 'b')).toBe(second.steps[0]);
  });
});
