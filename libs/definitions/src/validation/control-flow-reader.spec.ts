import { validateDefinition } from './validate-definition.js';

type Json = Record<string, unknown>;
const base = (steps: unknown[]): Json => ({ name: 'flow', version: 1, steps });
const echo = (id: string, extra: Json = {}): Json => ({ id, agent: 'builtin:echo', ...extra });

function errors(body: unknown): string[] {
  const result = validateDefinition(body);
  if (result.ok) throw new Error('expected validation errors');
  return result.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('when and loop validation', () => {
  it('names an undeclared reference in a condition by its path', () => {
    const body = base([echo('a'), echo('b', { depends_on: ['a'] }), echo('c', { depends_on: ['b'], when: 'stepz.b.output.ok' })]);
    expect(errors(body)).toEqual(["steps[2].when: undeclared reference to 'stepz'"]);
  });

  it('refuses a condition on a step that is not upstream, or on itself', () => {
    const body = base([echo('a'), echo('b', { when: 'steps.a.output.ok' }), echo('c', { when: 'steps.c.status == "done"' })]);
    expect(errors(body).sort()).toEqual([
      'steps[1].when: references step "a", which is not upstream of "b" (add it to depends_on)',
      'steps[2].when: a step cannot reference its own output',
    ]);
  });

  it('refuses syntax and type errors and non-boolean conditions', () => {
    const found = errors(base([echo('a', { when: 'input.x ==' }), echo('b', { when: '"text"' }), echo('c', { when: 'iteration > 1' })]));
    expect(found[0]).toMatch(/^steps\[0\]\.when: syntax error: /);
    expect(found[1]).toBe('steps[1].when: must be a condition (bool), but its type is string');
    // `iteration` exists only in a loop's until.
    expect(found[2]).toBe("steps[2].when: undeclared reference to 'iteration'");
  });

  it('requires a bounded loop with a valid until', () => {
    const found = errors(base([
      echo('a', { loop: { until: 'steps.a.output.done' } }),
      echo('b', { loop: { until: 'nope', max_iterations: 5000, on_max: 'retry' } }),
      echo('c', { for_each: '{{ input.list }}', loop: { until: 'true', max_iterations: 2 } }),
    ]));
    expect(found).toEqual([
      'steps[0].loop.max_iterations: is required (a loop must be bounded)',
      'steps[1].loop.max_iterations: must be at most 1000',
      'steps[1].loop.on_max: must be one of fail, complete',
      "steps[1].loop.until: undeclared reference to 'nope'",
      'steps[2].loop: cannot be combined with for_each (loop a child orchestration instead)',
    ]);
  });

  it('lets a loop see itself and its iteration, and keeps conditions on the step spec', () => {
    const body = base([
      echo('a'),
      echo('refine', {
        depends_on: ['a'],
        when: 'steps.a.output.ok == true',
        input: { draft: '{{ steps.refine.iterations }}', round: '{{ iteration }}' },
        loop: { until: 'steps.refine.output.score >= 0.8 || iteration >= 2', max_iterations: 3, on_max: 'complete' },
      }),
    ]);
    const result = validateDefinition(body);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const spec = result.definition.steps.find((s) => s.id === 'refine')!;
    expect(spec.when).toBe('steps.a.output.ok == true');
    expect(spec.loop).toEqual({ until: 'steps.refine.output.score >= 0.8 || iteration >= 2', maxIterations: 3, onMax: 'complete' });
    expect(spec.references.sort()).toEqual(['a', 'refine']);
  });

  it('allows iteration in templates only on a looping step', () => {
    expect(errors(base([echo('a', { input: { n: '{{ iteration }}' } })]))).toEqual(['steps[0].input.n: iteration is only available in a step with loop']);
  });
});

describe('runtime plan validation', () => {
  it('accepts plan instead of definition on an orchestration step', () => {
    const body = base([echo('planner'), { id: 'run_plan', type: 'orchestration', depends_on: ['planner'], plan: '{{ steps.planner.output.plan }}' }]);
    const result = validateDefinition(body);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.definition.steps[1]).toMatchObject({ plan: '{{ steps.planner.output.plan }}', references: ['planner'] });
    expect(result.definition.steps[1]!.definition).toBeUndefined();
  });

  it('refuses plan with definition, plan as text, and plan on an agent step', () => {
    const found = errors(base([
      echo('planner'),
      { id: 'x', type: 'orchestration', depends_on: ['planner'], plan: '{{ steps.planner.output.plan }}', definition: { name: 'd' } },
      { id: 'y', type: 'orchestration', depends_on: ['planner'], plan: 'plan: {{ steps.planner.output.plan }}' },
      echo('z', { plan: '{{ input.plan }}' }),
    ]));
    expect(found).toEqual([
      'steps[1].definition: cannot be combined with plan; give exactly one',
      'steps[2].plan: must be a single {{ expression }} that yields a definition',
      'steps[3].plan: is only allowed when type is orchestration',
    ]);
  });
});
