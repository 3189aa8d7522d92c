import { validateDefinition, type NormalizedDefinition } from './validate-definition.js';
import { DEFAULT_CACHE_POLICY, DEFAULT_FAILURE_POLICY } from './policies.js';

function normalize(body: Record<string, unknown>): NormalizedDefinition {
  const result = validateDefinition({ name: 'n', version: '1', ...body });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.definition;
}

const steps = [
  { id: 'a', agent: 'builtin:echo' },
  { id: 'b', agent: 'builtin:echo', depends_on: ['a'] },
];

describe('normalization', () => {
  it('applies the documented defaults when orchestration is absent', () => {
    const definition = normalize({ steps });
    expect(definition.execution).toEqual({
      errorHandling: DEFAULT_FAILURE_POLICY,
      caching: { enabled: false, ttlSeconds: 3600, steps: {} },
    });
    expect(DEFAULT_FAILURE_POLICY).toEqual({
      maxAttempts: 3,
      backoff: { initialMs: 1000, multiplier: 2, maxMs: 60_000 },
      allowSkip: false,
      notifyHuman: false,
    });
    expect(definition.steps[0]!.cache).toEqual(DEFAULT_CACHE_POLICY);
    expect(definition.steps[0]!.type).toBe('agent');
  });

  it.each([
    [{ concurrency: { maxParallel: 4 } }, 'concurrency.maxParallel'],
    [{ maxParallel: 4 }, 'maxParallel'],
    [{ max_parallel: 4 }, 'max_parallel'],
  ])('reads maxParallel from %j and records the key', (execution, key) => {
    const definition = normalize({ steps, orchestration: { execution } });
    expect(definition.execution.maxParallel).toBe(4);
    expect(definition.execution.maxParallelKey).toBe(key);
  });

  it('merges a step retry over the definition policy field by field, backoff included', () => {
    const definition = normalize({
      orchestration: {
        error_handling: {
          on_step_failure: { max_attempts: 5, backoff: { initial_ms: 10, max_ms: 500 }, notify_human: true },
          rollback: { strategy: 'compensate', steps: ['a'] },
        },
      },
      steps: [{ id: 'a', agent: 'builtin:echo', retry: { allow_skip: true, backoff: { multiplier: 3 } } }, steps[1]],
    });
    expect(definition.execution.errorHandling).toEqual({
      maxAttempts: 5,
      backoff: { initialMs: 10, multiplier: 2, maxMs: 500 },
      allowSkip: false,
      notifyHuman: true,
    });
    expect(definition.steps.find((s) => s.id === 'a')!.retry).toEqual({
      maxAttempts: 5,
      backoff: { initialMs: 10, multiplier: 3, maxMs: 500 },
      allowSkip: true,
      notifyHuman: true,
    });
    expect(definition.steps.find((s) => s.id === 'b')!.retry).toEqual(definition.execution.errorHandling);
    expect(definition.execution.rollback).toEqual({ strategy: 'compensate', steps: ['a'] });
  });

  it('resolves cache settings: step cache > caching.steps.<id> > definition caching', () => {
    const definition = normalize({
      orchestration: {
        execution: { caching: { enabled: true, ttlSeconds: 60, steps: { a: { ttlSeconds: 120 }, b: { enabled: false, ttlSeconds: 5 } } } },
      },
      steps: [
        { id: 'a', agent: 'builtin:echo' },
        { id: 'b', agent: 'builtin:echo', cache: { enabled: true } },
        { id: 'c', agent: 'builtin:echo', cache: { ttlSeconds: 7 } },
      ],
    });
    const cache = Object.fromEntries(definition.steps.map((s) => [s.id, s.cache]));
    expect(cache).toEqual({
      a: { enabled: true, ttlSeconds: 120 },
      b: { enabled: true, ttlSeconds: 5 },
      c: { enabled: true, ttlSeconds: 7 },
    });
    expect(definition.execution.caching.steps).toEqual({ a: { ttlSeconds: 120 }, b: { enabled: false, ttlSeconds: 5 } });
  });

  it('normalizes each step type and keeps only the keys that were given', () => {
    const definition = normalize({
      steps: [
        { id: 'ask', agent: 'builtin:echo', input: { q: '{{ input.q }}' }, timeout_seconds: 9, description: 'asks' },
        { id: 'route', capability: 'search', depends_on: ['ask', 'ask'], for_each: '{{ steps.ask.output.items }}', prompt: 'find {{ item }}' },
        { id: 'child', type: 'orchestration', depends_on: ['route'], definition: { name: 'sub', version: 2 } },
        { id: 'approve', type: 'checkpoint', depends_on: ['child'], checkpoint: { prompt: 'ok?', timeout_seconds: 60 } },
      ],
    });
    const [ask, route, child, approve] = definition.steps;
    expect(ask).toMatchObject({ agent: 'builtin:echo', timeoutSeconds: 9, description: 'asks', input: { q: '{{ input.q }}' } });
    expect(ask).not.toHaveProperty('capability');
    expect(route).toMatchObject({ capability: 'search', dependsOn: ['ask'], forEach: '{{ steps.ask.output.items }}', references: ['ask'] });
    expect(child).toMatchObject({ type: 'orchestration', definition: { name: 'sub', version: '2' } });
    expect(approve).toMatchObject({
      type: 'checkpoint',
      checkpoint: { prompt: 'ok?', timeoutSeconds: 60, onTimeout: 'fail', allowEdit: false },
    });
    expect(definition.plan.sinks).toEqual(['approve']);
  });

  it('checks checkpoint settings, naming each bad field', () => {
    const bad = validateDefinition({
      name: 'x',
      version: '1',
      steps: [
        {
          id: 'gate',
          type: 'checkpoint',
          checkpoint: { prompt: 'ok?', on_timeout: 'maybe', schema: { type: 'nonsense' }, surprise: 1 },
        },
      ],
    });
    expect(bad.ok).toBe(false);
    const paths = bad.ok ? [] : bad.errors.map((e) => e.path).sort();
    expect(paths).toEqual(['steps[0].checkpoint.on_timeout', 'steps[0].checkpoint.schema', 'steps[0].checkpoint.surprise']);
  });

  it('stores a numeric version as text', () => {
    expect(normalize({ version: 2, steps }).version).toBe('2');
  });
});
