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
