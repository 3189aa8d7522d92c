import { BatonError } from '@baton/common';
import { BuiltinAgentCatalog } from '../builtin-agent-catalog.js';
import { normalizeDefinition, validateDefinition } from './validate-definition.js';

type Json = Record<string, unknown>;
const base = (steps: unknown[], extra: Json = {}): Json => ({ name: 'demo', version: 1, steps, ...extra });
const echo = (id: string, extra: Json = {}): Json => ({ id, agent: 'builtin:echo', ...extra });

function errors(body: unknown, requireNameAndVersion = true): Array<{ path: string; message: string }> {
  const result = validateDefinition(body, { requireNameAndVersion });
  if (result.ok) throw new Error('expected validation errors');
  return result.errors;
}

function expectOnly(body: unknown, path: string, message: RegExp): void {
  const found = errors(body);
  expect(found).toEqual([{ path, message: expect.stringMatching(message) }]);
}

describe('validateDefinition error paths', () => {
  it('names unknown keys at every level', () => {
    const found = errors({
      ...base([echo('a', { retries: 2, retry: { max_attempt: 1, backoff: { factor: 2 } } })]),
      extra: true,
      orchestration: { execution: { parallel: 1, caching: { steps: { a: { ttl: 1 } } } }, error_handling: { on_failure: {} } },
    });
    expect(found.map((e) => e.path).sort()).toEqual([
      'extra',
      'orchestration.error_handling.on_failure',
      'orchestration.execution.caching.steps.a.ttl',
      'orchestration.execution.parallel',
      'steps[0].retries',
      'steps[0].retry.backoff.factor',
      'steps[0].retry.max_attempt',
    ]);
  });

  it('names wrong types with the value it got', () => {
    const found = errors({
      name: 3,
      version: true,
      steps: [{ id: 'a', agent: 7, depends_on: 'b', timeout_seconds: 1.5 }],
      orchestration: { execution: { concurrency: { maxParallel: 0 } } },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        { path: 'name', message: 'must be a string, got a number' },
        { path: 'version', message: 'must be a string, got a boolean' },
        { path: 'steps[0].agent', message: 'must be a string, got a number' },
        { path: 'steps[0].depends_on', message: 'must be a list of step ids, got a string' },
        { path: 'steps[0].timeout_seconds', message: 'must be a positive integer, got 1.5' },
        { path: 'orchestration.execution.concurrency.maxParallel', message: 'must be a positive integer, got 0' },
      ]),
    );
  });

  it('requires name, version and at least one step for a saved definition, not for an inline plan', () => {
    expect(errors({ steps: [] }).map((e) => e.path)).toEqual(['name', 'version', 'steps']);
    expect(validateDefinition({ steps: [echo('a')] }, { requireNameAndVersion: false }).ok).toBe(true);
  });

  it('rejects a bad step id and a duplicate one', () => {
    expect(errors(base([echo('1st'), echo('a'), echo('a')]))).toEqual([
      { path: 'steps[0].id', message: expect.stringMatching(/must match/) },
      { path: 'steps[2].id', message: 'duplicate step id "a" (first used by steps[1])' },
    ]);
  });

  it('rejects dependencies on missing steps and on the step itself', () => {
    const found = errors(base([echo('a'), echo('b', { depends_on: ['a', 'ghost', 'b'] })]));
    expect(found).toEqual([
      { path: 'steps[1].depends_on[1]', message: 'unknown step "ghost"' },
      { path: 'steps[1].depends_on[2]', message: 'a step cannot depend on itself' },
    ]);
  });

  it('names keys of other step types in one fixed order, whatever order they were written in', () => {
    const found = errors(base([echo('a', { event: 'order.paid', max_turns: 2, plan: '{{ input.plan }}' })]));
    expect(found).toEqual([
      { path: 'steps[0].plan', message: 'is only allowed when type is orchestration' },
      { path: 'steps[0].max_turns', message: 'is only allowed when type is pattern' },
      { path: 'steps[0].event', message: 'is only allowed when type is wait' },
    ]);
  });

  it('checks the dependencies of a step with a taken id, and does not plan it', () => {
    const found = errors(base([echo('a'), echo('b', { depends_on: ['a'] }), echo('a', { depends_on: ['b', 'a', 'ghost'] })]));
    expect(found).toEqual([
      { path: 'steps[2].id', message: 'duplicate step id "a" (first used by steps[0])' },
      { path: 'steps[2].depends_on[1]', message: 'a step cannot depend on itself' },
      { path: 'steps[2].depends_on[2]', message: 'unknown step "ghost"' },
    ]);
  });

  it('names a cycle at the dependency that closes it', () => {
    const body = base([echo('a', { depends_on: ['c'] }), echo('b', { depends_on: ['a'] }), echo('c', { depends_on: ['b'] })]);
    expectOnly(body, 'steps[0].depends_on[0]', /^cycle: a -> b -> c -> a$/);
  });

  it('rejects template references to unknown, own and non-upstream steps', () => {
    const found = errors(
      base([
        echo('a', { input: { x: '{{ steps.c.output }}' } }),
        echo('b', { depends_on: ['a'], prompt: 'see {{ steps.b.output }}' }),
        echo('c', { input: ['{{ steps.nope.status }}'] }),
      ]),
    );
    expect(found).toEqual([
      { path: 'steps[1].prompt', message: 'a step cannot reference its own output' },
      { path: 'steps[2].input[0]', message: 'references unknown step "nope"' },
      { path: 'steps[0].input.x', message: expect.stringMatching(/step "c", which is not upstream of "a"/) },
    ]);
  });

  it('accepts references to transitive ancestors', () => {
    const body = base([echo('a'), echo('b', { depends_on: ['a'] }), echo('c', { depends_on: ['b'], input: '{{ steps.a.output }}' })]);
    expect(validateDefinition(body).ok).toBe(true);
  });

  it('reports a syntactically bad template at its path', () => {
    expectOnly(base([echo('a'), echo('b', { input: { query: 'x {{ input.q' } })]), 'steps[1].input.query', /unclosed/);
  });

  it('rejects item and index outside a for_each step, and a for_each that is not one expression', () => {
    const found = errors(base([echo('a', { input: '{{ item }}' }), echo('b', { for_each: 'list: {{ input.xs }}' })]));
    expect(found).toEqual([
      { path: 'steps[0].input', message: 'item is only available in a step with for_each' },
      { path: 'steps[1].for_each', message: 'must be a single {{ expression }} that yields a list' },
    ]);
  });

  it('wants exactly one of agent or capability on an agent step', () => {
    expectOnly(base([{ id: 'a' }]), 'steps[0].agent', /is required \(or give capability\)/);
    expectOnly(base([{ id: 'a', agent: 'builtin:echo', capability: 'search' }]), 'steps[0].capability', /cannot be combined/);
  });

  it('wants definition.name on an orchestration step and keeps type-specific keys to their type', () => {
    expectOnly(base([{ id: 'child', type: 'orchestration' }]), 'steps[0].definition.name', /required/);
    expectOnly(base([{ id: 'child', type: 'orchestration', definition: { version: 2 } }]), 'steps[0].definition.name', /required/);
    expectOnly(base([echo('a', { checkpoint: {} })]), 'steps[0].checkpoint', /only allowed when type is checkpoint/);
    expectOnly(base([{ id: 'x', type: 'loop' }]), 'steps[0].type', /must be one of agent, orchestration, checkpoint/);
  });

  it('rejects caching settings for steps that do not exist', () => {
    const body = base([echo('a')], { orchestration: { execution: { caching: { steps: { b: { enabled: true } } } } } });
    expectOnly(body, 'orchestration.execution.caching.steps.b', /unknown step "b"/);
  });

  it('rejects two spellings of maxParallel at once', () => {
    const body = base([echo('a')], { orchestration: { execution: { concurrency: { maxParallel: 2 }, max_parallel: 3 } } });
    expectOnly(body, 'orchestration.execution.max_parallel', /conflicts with orchestration.execution.concurrency.maxParallel/);
  });

  it('collects errors of every kind in one pass', () => {
    const found = errors({ name: 'x', version: '1', bogus: 1, steps: [echo('a', { depends_on: ['zzz'] }), { id: 'b' }] });
    expect(found.map((e) => e.path)).toEqual(['bogus', 'steps[1].agent', 'steps[0].depends_on[0]']);
  });
});

describe('normalizeDefinition', () => {
  it('asks the agent catalog and names each unknown agent at its path', async () => {
    const body = base([echo('a'), { id: 'b', agent: 'summarizer' }, { id: 'c', agent: 'builtin:nope' }, { id: 'd', capability: 'search' }]);
    const error = await normalizeDefinition(body, { agentCatalog: new BuiltinAgentCatalog() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).details).toEqual([
      { path: 'steps[1].agent', message: 'unknown agent "summarizer"' },
      { path: 'steps[2].agent', message: 'unknown agent "builtin:nope"' },
    ]);
  });

  it('returns steps in topological order with their references', async () => {
    const body = base([echo('b', { depends_on: ['a'], input: '{{ steps.a.output }}' }), echo('a')]);
    const definition = await normalizeDefinition(body, { agentCatalog: new BuiltinAgentCatalog() });
    expect(definition.steps.map((s) => [s.id, s.references])).toEqual([['a', []], ['b', ['a']]]);
    expect(definition.version).toBe('1');
  });
});

describe('the step limit', () => {
  const steps = (n: number) => Array.from({ length: n }, (_, i) => echo(`s${i}`));

  it('refuses more steps than maxSteps with one error on steps, before reading any', () => {
    const result = validateDefinition(base([...steps(4), { id: 'bad id!' }]), { maxSteps: 4 });
    expect(!result.ok && result.errors).toEqual([{ path: 'steps', message: 'has 5 steps, more than the 4 allowed (BATON_MAX_STEPS)' }]);
  });

  it('accepts exactly maxSteps, and defaults to 10,000', () => {
    expect(validateDefinition(base(steps(4)), { maxSteps: 4 }).ok).toBe(true);
    const result = validateDefinition(base(steps(10_001)));
    expect(!result.ok && result.errors[0]!.message).toMatch(/more than the 10000 allowed/);
  });
});
