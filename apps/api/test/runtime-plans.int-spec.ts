import { testDatabaseKinds } from '@baton/testing';
import { startJsonAgent } from './support/json-agent.js';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

/** A plan the planner writes: one step per topic, then a summary over all of them. */
function planFor(topics: string[]): Record<string, unknown> {
  return {
    steps: [
      ...topics.map((topic) => ({ id: `research_${topic}`, agent: 'builtin:transform', input: { topic, about: '{{ input.goal }}' } })),
      {
        id: 'summary',
        agent: 'builtin:echo',
        depends_on: topics.map((topic) => `research_${topic}`),
        input: { parts: topics.map((topic) => `{{ steps.research_${topic}.output.topic }}`) },
      },
    ],
  };
}

describe.each(testDatabaseKinds())('runtime plans on %s', (kind) => {
  const ctx = useTestServer(kind);
  let planner: Awaited<ReturnType<typeof startJsonAgent>>;

  beforeAll(async () => {
    // The planner decides the steps from its input; a "broken" goal gets a plan with mistakes.
    planner = await startJsonAgent((body) =>
      body.goal === 'broken'
        ? { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }, { id: 'b', agent: 'no-such-agent', depends_on: ['zzz'] }] } }
        : { plan: planFor(body.topics) },
    );
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: `planner-${kind}`, kind: 'http', url: planner.url })).status).toBe(201);
  });
  afterAll(() => planner.close());

  const definition = {
    steps: [
      { id: 'planner', agent: `planner-${kind}`, input: { goal: '{{ input.goal }}', topics: '{{ input.topics }}' } },
      { id: 'execute', type: 'orchestration', depends_on: ['planner'], plan: '{{ steps.planner.output.plan }}', input: { goal: '{{ input.goal }}' } },
    ],
  };

  it('runs the plan an agent wrote as a child run, stored content-hashed', async () => {
    const run = await startPlan(ctx.url, definition, { goal: 'tides', topics: ['moon', 'sun'] });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    const execute = stepOf(done, 'execute');
    expect(execute.output).toEqual({ summary: { parts: ['moon', 'sun'] } });
    const child = (await http('GET', `${ctx.url}/api/v1/runs/${execute.childRunId}`)).body;
    expect(child).toMatchObject({ status: 'completed', parentRunId: run.id });
    expect(child.steps.map((s: any) => s.id).sort()).toEqual(['research_moon', 'research_sun', 'summary']);
    expect(stepOf(child, 'research_moon').output).toEqual({ topic: 'moon', about: 'tides' });
    const stored = await ctx.database.db.query<{ source: string; name: string }>(
      `select source, name from orchestration_definitions where id = $1::uuid`,
      [child.definition.id],
    );
    expect(stored.rows[0]).toMatchObject({ source: 'inline' });
    expect(stored.rows[0]!.name).toMatch(/^plan-[0-9a-f]{12}$/);
    // The same plan again maps to the same stored row.
    const again = await waitForRun(ctx.url, (await startPlan(ctx.url, definition, { goal: 'tides', topics: ['moon', 'sun'] })).id);
    const againChild = (await http('GET', `${ctx.url}/api/v1/runs/${stepOf(again, 'execute').childRunId}`)).body;
    expect(againChild.definition.id).toBe(child.definition.id);
  });

  it('fails the step without retries when the plan is invalid, naming each path', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: { error_handling: { on_step_failure: { max_attempts: 3, backoff: { initial_ms: 10 } } } },
      ...definition,
    }, { goal: 'broken', topics: [] });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    const execute = stepOf(done, 'execute');
    expect(execute).toMatchObject({ status: 'failed', attempt: 1, childRunId: null, error: { code: 'invalid_plan', retryable: false } });
    const paths = execute.error.details.errors.map((e: any) => e.path).sort();
    expect(paths).toEqual(['steps[1].agent', 'steps[1].depends_on[0]']);
    expect(execute.error.message).toContain('steps[1].depends_on[0]: unknown step "zzz"');
  });

  it('refuses plan together with definition when the definition is stored', async () => {
    const response = await http('POST', `${ctx.url}/api/v1/definitions`, {
      name: 'plan-and-definition',
      version: '1',
      steps: [{ id: 'p', agent: 'builtin:echo' }, { id: 'x', type: 'orchestration', depends_on: ['p'], plan: '{{ steps.p.output }}', definition: { name: 'other' } }],
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('steps[1].definition');
  });
});
