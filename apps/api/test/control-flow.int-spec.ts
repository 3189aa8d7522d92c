import { testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { startJsonAgent } from './support/json-agent.js';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

async function events(database: TestDatabase, runId: string): Promise<Array<{ type: string; step_key: string | null; data: any }>> {
  const { rows } = await database.db.query<{ type: string; step_key: string | null; data: any }>(
    'select type, step_key, data from orchestration_events where run_id = $1::uuid order by seq',
    [runId],
  );
  return rows;
}

/** route → a (condition) → fast | slow → merge: one branch taken, the merge runs. */
const branchAndMerge = {
  steps: [
    { id: 'route', agent: 'builtin:echo', input: { kind: '{{ input.kind }}' } },
    { id: 'fast', agent: 'builtin:transform', depends_on: ['route'], when: 'steps.route.output.kind == "fast"', input: { took: 'fast' } },
    { id: 'slow', agent: 'builtin:transform', depends_on: ['route'], when: 'steps.route.output.kind == "slow"', input: { took: 'slow' } },
    { id: 'slow_followup', agent: 'builtin:echo', depends_on: ['slow'], input: { after: '{{ steps.slow.output.took }}' } },
    { id: 'merge', agent: 'builtin:transform', depends_on: ['fast', 'slow'], input: { fast: '{{ steps.fast.output }}', slow: '{{ steps.slow.output }}' } },
  ],
};

describe.each(testDatabaseKinds())('conditions and loops on %s', (kind) => {
  const ctx = useTestServer(kind);

  it('takes one branch, skips the other and what only follows it, and runs the merge', async () => {
    const run = await startPlan(ctx.url, branchAndMerge, { kind: 'fast' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'fast')).toMatchObject({ status: 'completed', output: { took: 'fast' } });
    expect(stepOf(done, 'slow')).toMatchObject({ status: 'skipped', skip_reason: 'condition', error: null });
    expect(stepOf(done, 'slow_followup')).toMatchObject({ status: 'skipped', skip_reason: 'condition' });
    expect(stepOf(done, 'merge')).toMatchObject({ status: 'completed', output: { fast: { took: 'fast' }, slow: null } });
    expect(stepOf(done, 'fast').skip_reason).toBeUndefined();
    const skipped = (await events(ctx.database, run.id)).filter((e) => e.type === 'step.skipped');
    expect(skipped.map((e) => [e.step_key, e.data.reason, e.data.propagated])).toEqual([
      ['slow', 'condition', false],
      ['slow_followup', 'condition', true],
    ]);
    expect(skipped[0]!.data.condition).toBe('steps.route.output.kind == "slow"');
  });

  it('skips the merge when every branch was skipped, and the run still completes', async () => {
    const run = await startPlan(ctx.url, branchAndMerge, { kind: 'neither' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    for (const key of ['fast', 'slow', 'slow_followup', 'merge']) expect(stepOf(done, key)).toMatchObject({ status: 'skipped', skip_reason: 'condition' });
    expect(done.output).toEqual({ slow_followup: null, merge: null });
  });

  it('refuses a definition with a bad condition with a 400 naming the path, storing nothing', async () => {
    const body = { name: 'bad-when', version: '1', steps: [{ id: 'a', agent: 'builtin:echo' }, { id: 'b', agent: 'builtin:echo', depends_on: ['a'], when: 'stepz.a.output' }] };
    const response = await http('POST', `${ctx.url}/api/v1/definitions`, body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain("steps[1].when: undeclared reference to 'stepz'");
    expect((await http('GET', `${ctx.url}/api/v1/definitions/bad-when`)).status).toBe(404);
    const plan = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'a', agent: 'builtin:echo', loop: { until: 'iteration >', max_iterations: 2 } }] } });
    expect(plan.status).toBe(400);
    expect(JSON.stringify(plan.body)).toContain('steps[0].loop.until: syntax error');
  });

  it('fails the step without retries when a condition errors at run time', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: { error_handling: { on_step_failure: { max_attempts: 3, backoff: { initial_ms: 10 } } } },
      steps: [
        { id: 'a', agent: 'builtin:echo', input: { n: 1 } },
        { id: 'b', agent: 'builtin:echo', depends_on: ['a'], when: 'steps.a.output.missing > 0' },
      ],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(stepOf(done, 'b')).toMatchObject({ status: 'failed', attempt: 1, error: { code: 'expression_error', retryable: false } });
    expect(stepOf(done, 'b').error.message).toMatch(/^steps\.b\.when: .*missing/);
  });

  it('loops a group of steps by looping a child orchestration: one child run per iteration', async () => {
    const child = { name: `group-${kind}`, version: '1', steps: [{ id: 'count', agent: 'builtin:transform', input: { n: '{{ input.round }}' } }] };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, child)).status).toBe(201);
    const run = await startPlan(ctx.url, {
      steps: [
        {
          id: 'group',
          type: 'orchestration',
          definition: { name: `group-${kind}` },
          input: { round: '{{ iteration }}' },
          loop: { until: 'steps.group.output.count.n >= 2', max_iterations: 4 },
        },
      ],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    const group = stepOf(done, 'group');
    expect(group).toMatchObject({ status: 'completed', iteration: 2, output: { count: { n: 2 } } });
    expect(group.iterations.map((it: any) => it.output.count.n)).toEqual([1, 2]);
    const children = await ctx.database.db.query<{ id: string; n: unknown }>(
      `select id, output -> 'count' -> 'n' as n from orchestration_runs where parent_run_id = $1::uuid order by created_at`,
      [run.id],
    );
    expect(children.rows.map((r) => r.n)).toEqual([1, 2]);
  });

  describe('a loop driven by a real agent', () => {
    let agent: Awaited<ReturnType<typeof startJsonAgent>>;
    beforeAll(async () => {
      // A critic: scores a draft higher each round.
      agent = await startJsonAgent((body) => ({ round: body.round, score: body.round * 0.3, seen: body.previous }));
    });
    afterAll(() => agent.close());

    const loopPlan = (loop: Record<string, unknown>) => ({
      steps: [
        {
          id: 'critic',
          agent: `critic-${kind}`,
          input: { round: '{{ iteration }}', previous: '{{ steps.critic.iterations }}' },
          loop,
        },
        { id: 'after', agent: 'builtin:echo', depends_on: ['critic'], input: { last: '{{ steps.critic.output }}', all: '{{ steps.critic.iterations }}' } },
      ],
    });

    beforeAll(async () => {
      expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: `critic-${kind}`, kind: 'http', url: agent.url })).status).toBe(201);
    });

    it('runs iterations until the condition holds, each its own execution', async () => {
      const before = agent.calls.length;
      const run = await startPlan(ctx.url, loopPlan({ until: 'steps.critic.output.score >= 0.8', max_iterations: 10 }));
      const done = await waitForRun(ctx.url, run.id);
      expect(done.status).toBe('completed');
      const critic = stepOf(done, 'critic');
      expect(critic).toMatchObject({ status: 'completed', iteration: 3, output: { round: 3, score: expect.closeTo(0.9, 5) } });
      expect(critic.iterations.map((it: any) => [it.iteration, it.status, it.input.round, it.output.round])).toEqual([
        [1, 'completed', 1, 1],
        [2, 'completed', 2, 2],
        [3, 'completed', 3, 3],
      ]);
      expect(critic.iterations.every((it: any) => it.started_at && it.finished_at)).toBe(true);
      // Each iteration saw the outputs of the ones before it.
      expect(agent.calls.slice(before).map((c) => c.body.previous.length)).toEqual([0, 1, 2]);
      expect(stepOf(done, 'after').output.all.map((o: any) => o.round)).toEqual([1, 2, 3]);
      const iterationEvents = (await events(ctx.database, run.id)).filter((e) => e.type === 'step.iteration_completed');
      expect(iterationEvents.map((e) => [e.step_key, e.data.iteration])).toEqual([['critic', 1], ['critic', 2], ['critic', 3]]);
      const { rows } = await ctx.database.db.query<{ n: number }>('select count(*)::int as n from orchestration_step_iterations where run_id = $1::uuid', [run.id]);
      expect(rows[0]!.n).toBe(3);
    });

    it('fails the run when max_iterations is reached with on_max fail', async () => {
      const run = await startPlan(ctx.url, loopPlan({ until: 'steps.critic.output.score > 5.0', max_iterations: 2, on_max: 'fail' }));
      const done = await waitForRun(ctx.url, run.id);
      expect(done.status).toBe('failed');
      expect(stepOf(done, 'critic')).toMatchObject({ status: 'failed', iteration: 2, error: { code: 'loop_max_iterations', retryable: false } });
      expect(stepOf(done, 'critic').iterations).toHaveLength(2);
      expect(stepOf(done, 'after').status).toBe('cancelled');
    });

    it('completes with the last output when max_iterations is reached with on_max complete', async () => {
      const run = await startPlan(ctx.url, loopPlan({ until: 'steps.critic.output.score > 5.0', max_iterations: 2, on_max: 'complete' }));
      const done = await waitForRun(ctx.url, run.id);
      expect(done.status).toBe('completed');
      expect(stepOf(done, 'critic')).toMatchObject({ status: 'completed', iteration: 2, output: { round: 2 } });
      expect(stepOf(done, 'after').output.last.round).toBe(2);
    });
  });
});
