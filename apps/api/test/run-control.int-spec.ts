import { testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

async function count(database: TestDatabase, table: string): Promise<number> {
  const { rows } = await database.db.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return rows[0]!.n;
}

describe.each(testDatabaseKinds())('run control on %s', (kind) => {
  const ctx = useTestServer(kind);

  it('cancels a running run: open steps are cancelled and the agent call is aborted', async () => {
    const run = await startPlan(ctx.url, {
      steps: [
        { id: 'long', agent: 'builtin:delay', input: { ms: 30_000 } },
        { id: 'after', agent: 'builtin:echo', depends_on: ['long'] },
      ],
    });
    await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'long').status === 'running');
    const cancelled = await http('POST', `${ctx.url}/api/v1/runs/${run.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const done = await waitForRun(ctx.url, run.id);
    expect(done.steps.map((s: any) => s.status)).toEqual(['cancelled', 'cancelled']);
    // The in-flight delay was aborted, so the instance has no step left running.
    const queue = ctx.server.app.get((await import('@baton/execution')).OrchestrationExecutionService);
    await waitFor(() => queue.activeSteps === 0, { what: 'the aborted step to leave' });
    const again = await http('POST', `${ctx.url}/api/v1/runs/${run.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('already cancelled');
  });

  it('pauses a run between steps and resumes it', async () => {
    // `a` must still run when the pause lands: on a loaded machine 300 ms was not always enough.
    const run = await startPlan(ctx.url, {
      steps: [
        { id: 'a', agent: 'builtin:delay', input: { ms: 1_500 } },
        { id: 'b', agent: 'builtin:echo', depends_on: ['a'] },
      ],
    });
    await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'a').status === 'running');
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/pause`)).body.status).toBe('paused');
    // `a` finishes, but `b` is not started while the run is paused.
    const paused = await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'a').status === 'completed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const still = (await http('GET', `${ctx.url}/api/v1/runs/${run.id}`)).body;
    expect(still.status).toBe('paused');
    expect(stepOf(still, 'b').status).toBe('queued');
    expect(paused.status).toBe('paused');
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/pause`)).status).toBe(409);
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/resume`)).body.status).toBe('running');
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
  });

  it('returns the same run for a repeated idempotency key and starts nothing new', async () => {
    const plan = { steps: [{ id: 'only', agent: 'builtin:echo' }] };
    const first = await http('POST', `${ctx.url}/api/v1/runs`, { plan, idempotencyKey: 'order-42', input: { n: 1 } });
    const before = await count(ctx.database, 'orchestration_runs');
    const second = await http('POST', `${ctx.url}/api/v1/runs`, { plan, idempotencyKey: 'order-42', input: { n: 1 } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(await count(ctx.database, 'orchestration_runs')).toBe(before);
  });

  it('stores an inline plan once, content-hashed, and reuses it', async () => {
    const plan = { steps: [{ id: 'hash-me', agent: 'builtin:echo' }] };
    const a = await startPlan(ctx.url, plan);
    const b = await startPlan(ctx.url, plan);
    expect(a.definition.id).toBe(b.definition.id);
    expect(a.id).not.toBe(b.id);
  });

  it('refuses bad input with the field named and stores nothing', async () => {
    const runs = await count(ctx.database, 'orchestration_runs');
    const definitions = await count(ctx.database, 'orchestration_definitions');
    const cases: Array<[unknown, string]> = [
      [{ plan: { steps: [{ id: 'a', agent: 'builtin:echo', depends_on: ['ghost'] }] } }, 'steps[0].depends_on[0]'],
      [{ definition: { name: 'nope' } }, ''],
      [{ plan: { steps: [] }, definition: { name: 'x' } }, 'definition'],
      [{ plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] }, surprise: true }, 'surprise'],
      [{ definition: { name: 42 } }, 'definition.name'],
    ];
    for (const [body, path] of cases) {
      const response = await http('POST', `${ctx.url}/api/v1/runs`, body);
      if (path === '') {
        expect(response.status).toBe(404);
        continue;
      }
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(response.body.details.map((d: any) => d.path)).toContain(path);
    }
    expect(await count(ctx.database, 'orchestration_runs')).toBe(runs);
    expect(await count(ctx.database, 'orchestration_definitions')).toBe(definitions);
  });

  it('answers unknown and malformed run ids with 404 and 400', async () => {
    expect((await http('GET', `${ctx.url}/api/v1/runs/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    const bad = await http('GET', `${ctx.url}/api/v1/runs/not-a-uuid`);
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('id');
  });

  it('lists runs newest first, filtered by status and definition, paged by cursor', async () => {
    const plan = { name: 'listing', version: '1', steps: [{ id: 's', agent: 'builtin:echo' }] };
    await http('POST', `${ctx.url}/api/v1/definitions`, plan);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'listing' }, input: { i } });
      ids.push(response.body.id);
    }
    await Promise.all(ids.map((id) => waitForRun(ctx.url, id)));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `definition=listing&status=completed&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await http('GET', `${ctx.url}/api/v1/runs?${query}`);
      expect(page.status).toBe(200);
      expect(page.body.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.runs.map((r: any) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await http('GET', `${ctx.url}/api/v1/runs?status=bogus`)).status).toBe(400);
    expect((await http('GET', `${ctx.url}/api/v1/runs?cursor=garbage`)).status).toBe(400);
  });

  it('never runs more steps of a run at once than its maxParallel', async () => {
    const steps = Array.from({ length: 12 }, (_, i) => ({ id: `s${i}`, agent: 'builtin:delay', input: { ms: 60 } }));
    const run = await startPlan(ctx.url, { orchestration: { execution: { concurrency: { maxParallel: 3 } } }, steps });
    let peak = 0;
    for (;;) {
      const { rows } = await ctx.database.db.query<{ n: number; open: number }>(
        `select count(*) filter (where status = 'running')::int as n,
                count(*) filter (where status not in ('completed','failed','skipped','cancelled'))::int as open
           from orchestration_steps where run_id = $1::uuid`,
        [run.id],
      );
      peak = Math.max(peak, rows[0]!.n);
      if (rows[0]!.open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(peak).toBe(3);
    expect((await waitForRun(ctx.url, run.id)).execution.concurrency).toEqual({
      maxParallel: 3,
      source: 'definition',
      key: 'concurrency.maxParallel',
    });
  });
});
