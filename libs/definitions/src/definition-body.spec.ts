import { BatonError } from '@baton/common';
import { parseDefinitionBody } from './definition-body.js';
import { loadExampleDefinitions } from './examples.js';
import { normalizeDefinition } from './validation/validate-definition.js';
import { BuiltinAgentCatalog } from './builtin-agent-catalog.js';

function failure(body: unknown): BatonError {
  try {
    parseDefinitionBody(body);
  } catch (error) {
    return error as BatonError;
  }
  throw new Error('expected a failure');
}

describe('parseDefinitionBody', () => {
  it('parses YAML and keeps the version exactly as written', () => {
    expect(parseDefinitionBody('name: a\nversion: 1.0\nsteps: []\n')).toEqual({ name: 'a', version: '1.0', steps: [] });
  });

  it('names the line of a YAML syntax error', () => {
    const error = failure('name: a\nsteps:\n  - id: x\n    agent: [a, b\n  - id: y\n');
    expect(error.kind).toBe('validation');
    expect(error.details).toEqual([{ path: 'body', message: expect.stringMatching(/^invalid YAML: .* at line \d+, column \d+$/) }]);
  });

  it('refuses duplicate keys, a non-mapping document and a missing body', () => {
    expect(failure('a: 1\na: 2\n').message).toMatch(/unique at line 2/);
    expect(failure('- a\n- b\n').message).toMatch(/must be a mapping/);
    expect(failure(undefined).message).toMatch(/body: is required/);
    expect(failure([1]).message).toMatch(/must be an object/);
  });

  it('keeps YAML 1.1 tags such as !!binary from producing non-JSON values', () => {
    const body = parseDefinitionBody('name: a\nblob: !!binary aGk=\n');
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });
});

describe('example definitions', () => {
  it('ships at least three examples and every one validates against the built-in agents', async () => {
    const examples = loadExampleDefinitions();
    expect(examples.map((e) => e.file)).toEqual(expect.arrayContaining(['parallel-fan-in.yaml', 'research-pipeline.yaml', 'retry-and-skip.yaml']));
    for (const { body } of examples) {
      await expect(normalizeDefinition(body, { agentCatalog: new BuiltinAgentCatalog() })).resolves.toBeDefined();
    }
  });

});
describe('parseDefinitionBody limits', () => {
  const bomb = (levels: number) =>
    ['name: lol', 'version: "1"', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
      .concat(Array.from({ length: levels }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`))
      .concat([`steps: [{ id: s, agent: "builtin:echo", input: *a${levels} }]`])
      .join('\n');

  it('refuses an alias bomb as a 400, not a resource exhaustion or a 500', () => {
    const error = failure(bomb(9));
    expect(error.kind).toBe('validation');
    expect(error.details).toEqual([{ path: 'body', message: 'uses aliases more than 100 times once expanded (an alias bomb?)' }]);
  });

  it('refuses undefined aliases and self-aliases', () => {
    expect(failure('name: a\nsteps: *nope\n').details).toEqual([{ path: 'body', message: expect.stringMatching(/^invalid YAML: Unresolved alias/) }]);
    expect(failure('name: a\nsteps: &s [*s]\n').details).toEqual([{ path: expect.stringMatching(/^steps(\[0\])+$/), message: 'is nested deeper than 64 levels' }]);
    expect(failure('name: a\ninput: &i { x: *i }\n').kind).toBe('validation');
  });

  it('refuses YAML nested past the stack as a 400', () => {
    expect(failure(`steps: ${'['.repeat(3000)}${']'.repeat(3000)}\n`).message).toMatch(/invalid YAML/);
    expect(failure(`steps: ${'['.repeat(80)}${']'.repeat(80)}\n`).message).toMatch(/deeper than 64 levels/);
  });

  it('refuses NUL characters and lone surrogates written as YAML escapes, naming the field', () => {
    expect(failure('name: "a\\0b"\nsteps: []\n').details).toEqual([{ path: 'name', message: 'must not contain NUL characters (\\u0000)' }]);
    expect(failure('name: a\ndescription: "\\ud800"\nsteps: []\n').details).toEqual([{ path: 'description', message: expect.stringMatching(/lone UTF-16 surrogate/) }]);
  });

  it('applies the configured alias budget and expanded size', () => {
    const limits = { maxYamlAliases: 100, maxDepth: 64, maxExpandedLength: 200 };
    expect(() => parseDefinitionBody(bomb(1), limits)).toThrow(/expands to \d+ characters of JSON, more than the 200 allowed/);
    expect(() => parseDefinitionBody(bomb(1), { ...limits, maxYamlAliases: 0, maxExpandedLength: 1e6 })).toThrow(/uses aliases, which are turned off/);
    expect(parseDefinitionBody(bomb(1), { ...limits, maxExpandedLength: 1e6 }).steps).toHaveLength(1);
  });
});
