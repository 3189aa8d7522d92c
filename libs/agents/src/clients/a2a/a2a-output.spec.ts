import type { Artifact, Part } from '@a2a-js/sdk';
import { artifactsToOutput, partsToOutput } from './a2a-output.js';

const part = (content: Part['content']): Part => ({ content, metadata: undefined, filename: '', mediaType: '' });
const artifact = (name: string, parts: Part[]): Artifact => ({ artifactId: name || 'x', name, description: '', parts, metadata: undefined, extensions: [] });

describe('A2A output mapping', () => {
  it('takes a single data part as its data', () => {
    expect(partsToOutput([part({ $case: 'data', value: { a: 1 } })])).toEqual({ a: 1 });
  });

  it('joins several text parts', () => {
    expect(partsToOutput([part({ $case: 'text', value: 'a' }), part({ $case: 'text', value: 'b' })])).toBe('a\nb');
  });

  it('keeps a mix of parts as an array', () => {
    expect(partsToOutput([part({ $case: 'text', value: 'a' }), part({ $case: 'data', value: 2 })])).toEqual(['a', 2]);
  });

  it('keys several named artifacts by name, else lists them', () => {
    const one = artifact('summary', [part({ $case: 'text', value: 's' })]);
    const two = artifact('data', [part({ $case: 'data', value: [1] })]);
    expect(artifactsToOutput([one, two])).toEqual({ summary: 's', data: [1] });
    expect(artifactsToOutput([one, { ...two, name: 'summary' }])).toEqual(['s', [1]]);
    expect(artifactsToOutput([])).toBeNull();
  });
});
