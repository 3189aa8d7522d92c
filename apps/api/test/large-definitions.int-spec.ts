import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { rawRequest } from './support/raw-http.js';
import { countStatements } from './support/statement-counter.js';

/** Layers of `width` steps, each depending on two steps of the layer before, referencing one. */
function layeredPlan(steps: number, width = 100): Record<string, unknown> {
  return {
    steps: Array.from({ length: steps }, (_, i) => {
      const layer = Math.floor(i / width);
      const deps = layer === 0 ? [] : [`s${(layer - 1) * width + (i % width)}`, `s${(layer - 1) * width + ((i + 1) % width)}`];
      return { id: `s${i}`, agent: 'builtin:echo', depends_on: deps, input: deps[0] ? { v: `{{ steps.${deps[0]}.output }}` } : { n: i } };
    }),
  };
}

/** Runs `work` while asking /health every 25 ms; returns the slowest answer. */
async function slowestHealthDuring(url: string, work: () => Promise<void>): Promise<number> {
  const port = Number(new URL(url).port);
  let running = true;
  let slowest = 0;
  const probe = (async () => {
    while (running) {
      const started = Date.now();
      await rawRequest(port, { method: 'GET', path: '/health' }, 30_000);
      slowest = Math.max(slowest, Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await probe;
  }
  return slowest;
}

describe.each(testDatabaseKinds())('large definitions on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_MAX_STEPS: '20000' });

  it('creates a 20,000-step run without stalling the event loop for seconds', async () => {
    const definition = { name: 'wide', version: '1', ...layeredPlan(20_000) };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, definition)).status).toBe(201);
    let runId = '';
    const statements = countStatements(ctx.database.db, /insert into orchestration_steps/);
    const slowest = await slowestHealthDuring(ctx.url, async () => {
      const created = await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'wide' } });
      expect(created.status).toBe(201);
      runId = created.body.id;
    });
    if (process.env.REPORT) console.log(kind, 'slowest /health while creating the run', slowest, 'statements', statements.count);
    // One 20,000-row insert holds embedded PGlite (and so the loop) for ~1.5 s on an idle
    // machine; the run factory inserts batches of 500 (40 statements here) and yields between
    // them (~0.5 s). The timing bound is loose (loaded CI); the statement count is exact.
    expect(statements.count).toBe(40);
    expect(slowest).toBeLessThan(2_000);
    const run = (await http('GET', `${ctx.url}/api/v1/runs/${runId}`)).body;
    expect(run.progress.total).toBe(20_000);
    await http('POST', `${ctx.url}/api/v1/runs/${runId}/cancel`);
  });

  it('refuses a 100,000-step plan at once instead of planning it', async () => {
    const started = Date.now();
    const refused = await http('POST', `${ctx.url}/api/v1/runs`, { plan: layeredPlan(100_000) });
    expect(refused.status === 413 || refused.status === 400).toBe(true);
    expect(refused.body.message).toMatch(/BATON_DEFINITION_BODY_LIMIT|BATON_MAX_STEPS/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
