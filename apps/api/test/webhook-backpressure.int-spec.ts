import { createTestDatabase, waitFor, type TestDatabase, expectWithinBound, since } from '@baton/testing';
import { freePort } from './support/child-server.js';
import { http, startTestApp, type TestApp } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

/**
 * The embedded database must not freeze the server: many webhooks pointing at a closed
 * loopback port, hundreds of events, and the delivery worker's failure bookkeeping on PGlite
 * (which runs every statement on the event loop's thread). /health keeps answering, a
 * failing destination is backed off as a whole, and shutdown ends within its grace period.
 */
const SUBSCRIPTIONS = 34;
const RUNS = 22;
const CHAIN = 10;
/** How long the failing deliveries are watched. */
const WATCH_MS = 10_000;
/** Generous for a loaded 2-core CI machine (PGlite runs statements on the event loop); the freeze this guards against lasted minutes. */
const HEALTH_MAX_MS = 3_000;

const chain = {
  steps: Array.from({ length: CHAIN }, (_, i) => ({
    id: `s${i}`,
    agent: 'builtin:echo',
    input: { i },
    ...(i > 0 ? { depends_on: [`s${i - 1}`] } : {}),
  })),
};

/** Fetches /health back to back (20 ms apart) and keeps each answer's latency. */
function watchHealth(url: string) {
  const latencies: number[] = [];
  let failures = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) });
        await response.text();
        if (response.status !== 200) failures++;
      } catch {
        failures++;
      }
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const sorted = [...latencies].sort((a, b) => a - b);
      return { samples: sorted.length, failures, p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0, max: sorted.at(-1) ?? 0 };
    },
  };
}

describe('webhooks to an unreachable port on PGlite', () => {
  let database: TestDatabase;
  let app: TestApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    // Per-delivery retries come fast here (50 ms doubling), which is what a storm looks like.
    app = await startTestApp(database.db, { BATON_WEBHOOK_BACKOFF_MS: '50', BATON_WEBHOOK_POLL_MS: '100' });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('keeps /health answering, backs off each destination as a whole, and shuts down in time', async () => {
    // Two closed ports: two destinations, half of the subscriptions each.
    const closed = [await freePort(), await freePort()];
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const created = await http('POST', `${app!.url}/api/v1/webhooks`, { url: `http://127.0.0.1:${closed[i % 2]}/hook/${i}` });
      expect(created.status).toBe(201);
    }
    const health = watchHealth(app!.url);
    const started = Date.now();
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) runIds.push((await startPlan(app!.url, chain, { i })).id);
    for (const id of runIds) expect((await waitForRun(app!.url, id, undefined, 30_000)).status).toBe('completed');
    const { rows: events } = await database.db.query<{ n: number }>('select count(*)::int as n from orchestration_events');
    expect(events[0]!.n).toBeGreaterThanOrEqual(500);
    // Every event reached the outbox for every subscription (work was bounded, not dropped).
    await waitFor(
      async () => {
        const { rows } = await database.db.query<{ n: number }>('select count(*)::int as n from webhook_deliveries');
        return rows[0]!.n >= events[0]!.n * SUBSCRIPTIONS;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the outbox filled' },
    );
    const left = WATCH_MS - (Date.now() - started);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    const latency = await health.stop();
    const watchedMs = Date.now() - started;

    const { rows } = await database.db.query<{ port: string; attempts: number; deliveries: number }>(
      `select substring(s.url from ':([0-9]+)/') as port, coalesce(sum(d.attempts), 0)::int as attempts, count(d.id)::int as deliveries
         from webhook_subscriptions s left join webhook_deliveries d on d.subscription_id = s.id
        group by 1 order by 1`,
    );
    console.log(
      `webhook storm: ${latency.samples} /health answers, p99 ${latency.p99.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms; ` +
        `attempts per destination over ${watchedMs} ms: ${rows.map((r) => `${r.port}=${r.attempts}/${r.deliveries}`).join(', ')}`,
    );
    expect(latency.failures).toBe(0);
    expectWithinBound('the slowest /health answer during the webhook storm', latency.max, HEALTH_MAX_MS);
    // Backed off as a whole: a few rounds of attempts per destination, not one per delivery
    // per retry (thousands). A round is at most the worker's 16 requests in flight.
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.deliveries).toBeGreaterThan(5_000);
      expect(row.attempts).toBeLessThanOrEqual(16 * 12);
    }

    // Shutdown with the whole backlog still pending finishes within its grace period.
    const closing = Date.now();
    await app!.close();
    app = undefined;
    expectWithinBound('shutdown with the backlog pending', since(closing), 10_000);
  }, 120_000);
});
