import { layeredDagDefinition } from '../graph/layered-dag.fixture.js';
import { validateDefinition } from './validate-definition.js';

describe('large definitions', () => {
  it('validates and plans a 10,000-step layered DAG with fan-in, fan-out and far references', () => {
    const body = layeredDagDefinition(10_000);
    const result = validateDefinition(body);
    if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 3)));
    const { steps, plan } = result.definition;
    expect(steps).toHaveLength(10_000);
    const position = new Map(steps.map((step, i) => [step.id, i]));
    for (const step of steps) {
      for (const dep of step.dependsOn) expect(position.get(dep)!).toBeLessThan(position.get(step.id)!);
    }
    expect(plan.sinks.length).toBeGreaterThan(0);
    expect(steps.filter((s) => s.references.length === 2).length).toBeGreaterThan(500);
  });

  it('still finds a single non-upstream reference hidden in a 10,000-step DAG', () => {
    const body = layeredDagDefinition(10_000);
    const steps = body.steps as Array<Record<string, unknown>>;
    // s5 is in layer 0; s9999 is in the last layer and can never be upstream of it.
    steps[5]!.input = { bad: '{{ steps.s9999.output }}' };
    const result = validateDefinition(body);
    expect(!result.ok && result.errors).toEqual([
      { path: 'steps[5].input.bad', message: expect.stringMatching(/step "s9999", which is not upstream of "s5"/) },
    ]);
  });
});
