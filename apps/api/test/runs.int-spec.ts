import { testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

describe.each(testDatabaseKinds())('runs on %s', (kind) => {
  const ctx = useTestServer(kind, { ORCHESTRATION_DEFAULT_MAX_PARALLEL: '4' });

  it('runs a graph, passing outputs downstream through templates', async () => {
    const run = await startPlan(
      ctx.url,
      {
        steps: [
          { id: 'research', agent: 'builtin:echo', input: { topic: '{{ input.topic }}', facts: ['a', 'b'] } },
          { id: 'count', agent: 'builtin:transform', depends_on: ['research'], input: { n: '{{ steps.research.output.facts }}' } },
          { id: 'title', agent: 'builtin:transform', depends_on: ['research'], input: 'About {{ steps.research.output.topic }}' },
        ],
      },
      { topic: 'tides' },
    );
    expect(run.steps.map((s: any) => s.id)).toEqual(['research', 'count', 'title']);
    expect(run.progress).toMatchObject({ total: 3 });
    expect(run.execution.concurrency).toEqual({ maxParallel: 4, source: 'environment' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ count: { n: ['a', 'b'] }, title: 'About tides' });
    expect(stepOf(done, 'research')).toMatchObject({ status: 'completed', attempt: 1, input: { topic: 'tides', facts: ['a', 'b'] } });
    expect(done.progress).toEqual({ done: 3, total: 3, percent: 100, current: [] });
  });
});
