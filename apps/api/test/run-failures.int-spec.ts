import { createServer, type Server } from 'node:http';
import { testDatabaseKinds, type TestDatabase, expectWithinBound } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

const fastRetries = (max_attempts: number, extra: Record<string, unknown> = {}) => ({
  error_handling: { on_step_failure: { max_attempts, backoff: { initial_ms: 20, multiplier: 2, max_ms: 100 }, ...extra } },
});

/** A real HTTP agent on loopback; `status(call)` picks each answer, 2xx echoes the body. */
function startAgent(status: (call: number) => number): Promise<{ server: Server; url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer((req, res) => {
    const call = ++calls;
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const code = status(call);
      const body = code < 300 ? { call, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') } : { error: 'nope' };
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}/`, calls: () => calls });
    }),
  );
}

async function events(database: TestDatabase, runId: string): Promise<Array<{ type: string; step_key: string | null }>> {
  const { rows } = await database.db.query<{ type: string; step_key: string | null }>(
    'select type, step_key from orchestration_events where run_id = $1::uuid order by seq',
    [runId],
  );
  return rows;
}

describe.each(testDatabaseKinds())('failure handling on %s', (kind) => {
  const ctx = useTestServer(kind);

  it('retries a failing step with backoff until it succeeds', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: fastRetries(3),
      steps: [{ id: 'flaky', agent: 'builtin:fail', input: { times: 2, output: 'finally' } }],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'flaky')).toMatchObject({ status: 'completed', attempt: 3, output: 'finally' });
    const types = (await events(ctx.database, run.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'step.retrying')).toHaveLength(2);
    expect(types.filter((t) => t === 'step.started')).toHaveLength(3);
    expect(types.at(-1)).toBe('run.completed');
  });

  it('fails the run with the step error and cancels its dependents when attempts run out', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: { ...fastRetries(2), execution: { concurrency: { maxParallel: 2 } } },
      steps: [
        { id: 'broken', agent: 'builtin:fail', input: { times: 5, message: 'upstream exploded' } },
        { id: 'slow', agent: 'builtin:delay', input: { ms: 5000 } },
        { id: 'after', agent: 'builtin:echo', depends_on: ['broken'] },
      ],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ stepKey: 'broken', message: expect.stringContaining('upstream exploded') });
    expect(stepOf(done, 'broken')).toMatchObject({ status: 'failed', attempt: 2 });
    expect(stepOf(done, 'after').status).toBe('cancelled');
    // The independent running step is cancelled too, and its late completion is refused.
    expect(stepOf(done, 'slow').status).toBe('cancelled');
    expect(done.progress).toEqual({ done: 3, total: 3, percent: 100, current: [] });
  });

  it('skips a failed step when allow_skip is set and carries on', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: fastRetries(2, { allow_skip: true }),
      steps: [
        { id: 'optional', agent: 'builtin:fail', input: { times: 9 } },
        { id: 'next', agent: 'builtin:transform', depends_on: ['optional'], input: { upstream: '{{ steps.optional.status }}' } },
      ],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'optional')).toMatchObject({ status: 'skipped', attempt: 2, output: null });
    expect(stepOf(done, 'next').output).toEqual({ upstream: 'skipped' });
  });

  it('fails at once on a non-retryable agent error (HTTP 4xx)', async () => {
    const agent = await startAgent(() => 400);
    try {
      const registered = await http('POST', `${ctx.url}/api/v1/agents`, { name: 'picky', kind: 'http', url: agent.url });
      expect(registered.status).toBe(201);
      const run = await startPlan(ctx.url, {
        orchestration: fastRetries(5),
        steps: [{ id: 'ask', agent: 'picky', input: { topic: 'x' } }],
      });
      const done = await waitForRun(ctx.url, run.id);
      expect(done.status).toBe('failed');
      expect(stepOf(done, 'ask')).toMatchObject({ status: 'failed', attempt: 1, error: { retryable: false } });
      expect(agent.calls()).toBe(1);
    } finally {
      agent.server.close();
    }
  });

  it('times a step out after timeout_seconds and retries it', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: fastRetries(2),
      steps: [{ id: 'sleepy', agent: 'builtin:delay', timeout_seconds: 1, input: { ms: 10_000 } }],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(stepOf(done, 'sleepy')).toMatchObject({ attempt: 2, error: { code: 'timeout', retryable: true } });
    const finished = new Date(stepOf(done, 'sleepy').finishedAt).getTime();
    const started = new Date(stepOf(done, 'sleepy').startedAt).getTime();
    expectWithinBound('two 1 s attempts of a 10 s step', finished - started, 9_000);
  });

  it('re-runs a failed step and what its failure cancelled', async () => {
    const agent = await startAgent((call) => (call === 1 ? 503 : 200));
    try {
      await http('POST', `${ctx.url}/api/v1/agents`, { name: 'flaky-once', kind: 'http', url: agent.url });
      const run = await startPlan(ctx.url, {
        orchestration: fastRetries(1),
        steps: [
          { id: 'first', agent: 'builtin:echo', input: { v: 1 } },
          { id: 'shaky', agent: 'flaky-once', depends_on: ['first'], input: { v: '{{ steps.first.output.v }}' } },
          { id: 'last', agent: 'builtin:echo', depends_on: ['shaky'] },
        ],
      });
      const failed = await waitForRun(ctx.url, run.id);
      expect(failed.status).toBe('failed');
      expect(stepOf(failed, 'last').status).toBe('cancelled');

      const notFailed = await http('POST', `${ctx.url}/api/v1/runs/${run.id}/steps/first/retry`);
      expect(notFailed.status).toBe(409);
      const retried = await http('POST', `${ctx.url}/api/v1/runs/${run.id}/steps/shaky/retry`);
      expect(retried.status).toBe(200);
      expect(stepOf(retried.body, 'first').status).toBe('completed');

      const done = await waitForRun(ctx.url, run.id);
      expect(done.status).toBe('completed');
      expect(done.error).toBeNull();
      expect(stepOf(done, 'shaky')).toMatchObject({ status: 'completed', output: { call: 2, body: { v: 1 } } });
      expect(stepOf(done, 'last').status).toBe('completed');
      const types = (await events(ctx.database, run.id)).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['run.failed', 'run.retried', 'run.completed']));
      // Completed work is not redone: `first` started once.
      const firstStarts = (await events(ctx.database, run.id)).filter((e) => e.type === 'step.started' && e.step_key === 'first');
      expect(firstStarts).toHaveLength(1);
    } finally {
      agent.server.close();
    }
  });
});
