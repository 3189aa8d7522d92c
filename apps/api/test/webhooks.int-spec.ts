import { EventEmitter2 } from '@nestjs/event-emitter';
import { PgDatabase, type Queryable } from '@baton/db';
import { WEBHOOK_ATTEMPTED_EVENT, type WebhookAttemptedEvent } from '@baton/webhooks';
import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { http, startTestApp, type TestApp } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/**
 * Webhooks end to end: a real receiver on loopback that verifies signatures and fails on
 * purpose, runs that produce events, and the outbox that must get every event there once.
 */
const FAST = { BATON_WEBHOOK_BACKOFF_MS: '20', BATON_WEBHOOK_POLL_MS: '100', BATON_WEBHOOK_MAX_ATTEMPTS: '4' };

const chainPlan = {
  steps: [
    { id: 'a', agent: 'builtin:echo', input: { n: 1 } },
    { id: 'b', agent: 'builtin:transform', depends_on: ['a'], input: { n: '{{ steps.a.output.n }}' } },
    { id: 'c', agent: 'builtin:echo', depends_on: ['b'], input: { done: true } },
  ],
};

/** The run's events as logged: what every all-events subscriber must receive, in this order. */
async function loggedEvents(db: Queryable, runId: string): Promise<Array<{ seq: number; type: string }>> {
  const { rows } = await db.query<{ seq: number; type: string }>(
    'select seq::int as seq, type from orchestration_events where run_id = $1::uuid order by seq',
    [runId],
  );
  return rows;
}

async function subscribe(url: string, receiver: WebhookReceiver, body: Record<string, unknown> = {}) {
  const response = await http('POST', `${url}/api/v1/webhooks`, { url: receiver.url, ...body });
  expect(response.status).toBe(201);
  receiver.secret = response.body.secret;
  return response.body;
}

/** Runs the chain plan to the end and waits until `receiver` holds every event `wanted` of it. */
async function runAndReceive(app: TestApp, db: Queryable, receiver: WebhookReceiver, wanted = (_type: string) => true) {
  const run = await startPlan(app.url, chainPlan);
  await waitForRun(app.url, run.id);
  const logged = (await loggedEvents(db, run.id)).filter((e) => wanted(e.type));
  await waitFor(() => new Set(receiver.forRun(run.id).map((d) => d.seq)).size >= logged.length, { what: 'all events delivered' });
  return { runId: run.id as string, logged };
}

describe.each(testDatabaseKinds())('webhooks on %s', (kind) => {
  let database: TestDatabase;
  let app: TestApp;
  const receivers: WebhookReceiver[] = [];
  const receiver = async (options?: { delayMs?: number }) => {
    const started = await startReceiver(options);
    receivers.push(started);
    return started;
  };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    app = await startTestApp(database.db, FAST);
  });

  afterAll(async () => {
    await app?.close();
    for (const r of receivers) await r.close();
    await database?.drop();
  });

  it('refuses bad input naming the field, and stores nothing', async () => {
    const bad = await http('POST', `${app.url}/api/v1/webhooks`, { url: 'ftp://x', events: ['run.completed', 'Step Failed'] });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path)).toEqual(['url', 'events[1]']);
    const unknown = await http('POST', `${app.url}/api/v1/webhooks`, { url: 'http://127.0.0.1:1/x', colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/colour/);
    expect((await http('GET', `${app.url}/api/v1/webhooks`)).body.items).toEqual([]);
  });

  it('shows a generated secret once, never again, and deletes', async () => {
    const created = await http('POST', `${app.url}/api/v1/webhooks`, { url: 'http://127.0.0.1:1/x', events: ['step.*'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ events: ['step.*'], active: true, builtin: false });
    expect(created.body.secret).toMatch(/^whsec_.{40,}$/);
    const listed = await http('GET', `${app.url}/api/v1/webhooks`);
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    const one = await http('GET', `${app.url}/api/v1/webhooks/${created.body.id}`);
    expect(one.body.secret).toBeUndefined();
    expect((await http('DELETE', `${app.url}/api/v1/webhooks/${created.body.id}`)).status).toBe(204);
    expect((await http('GET', `${app.url}/api/v1/webhooks/${created.body.id}`)).status).toBe(404);
    expect((await http('GET', `${app.url}/api/v1/webhooks/not-a-uuid/deliveries`)).status).toBe(404);
  });

  it('gets every event of a run to a flaky receiver exactly once per delivery id, in order', async () => {
    const flaky = await receiver();
    flaky.setFailures([500, 'reset', 500]);
    const hook = await subscribe(app.url, flaky, { secret: 'a-secret-of-the-receivers-own' });
    const { runId, logged } = await runAndReceive(app, database.db, flaky);
    const got = flaky.forRun(runId);
    expect(got.map((d) => [d.seq, d.eventType])).toEqual(logged.map((e) => [e.seq, e.type]));
    expect(new Set(got.map((d) => d.deliveryId)).size).toBe(got.length);
    expect(flaky.calls.filter((c) => c.badSignature)).toEqual([]);
    expect(flaky.calls.slice(0, 3).map((c) => c.answer)).toEqual([500, 'reset', 500]);
    expect(got[0]!.body).toMatchObject({ id: got[0]!.deliveryId, webhookId: hook.id, event: { runId, seq: 1, type: logged[0]!.type } });

    const page = await http('GET', `${app.url}/api/v1/webhooks/${hook.id}/deliveries?limit=500`);
    const first = page.body.items.find((d: any) => d.runId === runId && d.seq === 1);
    expect(first).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 204, nextAttemptAt: null });
    expect(first.deliveredAt).toEqual(expect.any(String));
    await http('DELETE', `${app.url}/api/v1/webhooks/${hook.id}`);
  });

  it('sends only the event types a subscription asked for', async () => {
    const picky = await receiver();
    const hook = await subscribe(app.url, picky, { events: ['run.completed', 'step.*'] });
    const wanted = (type: string) => type === 'run.completed' || type.startsWith('step.');
    const { runId, logged } = await runAndReceive(app, database.db, picky, wanted);
    expect(logged.length).toBeGreaterThanOrEqual(7);
    // Give anything unwanted the chance to arrive before checking it did not.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(picky.forRun(runId).map((d) => d.eventType)).toEqual(logged.map((e) => e.type));
    await http('DELETE', `${app.url}/api/v1/webhooks/${hook.id}`);
  });

  it('gives a delivery up after the last attempt and keeps it as dead', async () => {
    const broken = await receiver();
    broken.setDown(500);
    const hook = await subscribe(app.url, broken, { events: ['run.completed'] });
    const outcomes: string[] = [];
    app.app.get(EventEmitter2).on(WEBHOOK_ATTEMPTED_EVENT, (e: WebhookAttemptedEvent) => {
      if (e.webhookId === hook.id) outcomes.push(e.outcome);
    });
    const run = await startPlan(app.url, chainPlan);
    await waitForRun(app.url, run.id);
    const dead = await waitFor(async () => {
      const page = await http('GET', `${app.url}/api/v1/webhooks/${hook.id}/deliveries?status=dead`);
      return page.body.items.length > 0 ? page.body.items : undefined;
    }, { what: 'a dead delivery' });
    expect(dead).toEqual([
      expect.objectContaining({ runId: run.id, eventType: 'run.completed', status: 'dead', attempts: 4, lastStatusCode: 500, nextAttemptAt: null }),
    ]);
    expect(dead[0].deadAt).toEqual(expect.any(String));
    expect(dead[0].lastError).toMatch(/HTTP 500/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(broken.calls).toHaveLength(4);
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'dead']);
    expect((await http('GET', `${app.url}/api/v1/webhooks/${hook.id}/deliveries?status=pending`)).body.items).toEqual([]);
    const bad = await http('GET', `${app.url}/api/v1/webhooks/${hook.id}/deliveries?status=lost&limit=0`);
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path).sort()).toEqual(['limit', 'status']);
  });
});

describe.each(testDatabaseKinds())('webhooks across a restart on %s', (kind) => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await database?.drop();
  });

  it('loses nothing when the app stops while deliveries are pending', async () => {
    // Slow retries on the first app, so its deliveries are still pending when it stops.
    const first = await startTestApp(database.db, { ...FAST, BATON_WEBHOOK_BACKOFF_MS: '1500', BATON_WEBHOOK_MAX_ATTEMPTS: '8' });
    receiver.setDown(503);
    await subscribe(first.url, receiver);
    const run = await startPlan(first.url, chainPlan);
    await waitForRun(first.url, run.id);
    await waitFor(() => receiver.calls.length > 0, { what: 'a first failed attempt' });
    await first.close();
    expect(receiver.accepted).toEqual([]);

    receiver.setDown(null);
    const second = await startTestApp(database.db, FAST);
    try {
      const logged = await loggedEvents(database.db, run.id);
      await waitFor(() => new Set(receiver.forRun(run.id).map((d) => d.seq)).size >= logged.length, { what: 'events after restart' });
      const got = receiver.forRun(run.id);
      expect(got.map((d) => d.seq)).toEqual(logged.map((e) => e.seq));
      expect(new Set(got.map((d) => d.deliveryId)).size).toBe(got.length);
    } finally {
      await second.close();
    }
  });
});

describe('the progress webhook from ORCHESTRATION_PROGRESS_WEBHOOK_URL', () => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  let app: TestApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await database?.drop();
  });

  it('is a built-in subscription to every event, signed with the configured secret', async () => {
    receiver.secret = 'progress-secret-from-the-environment';
    const env = { ...FAST, ORCHESTRATION_PROGRESS_WEBHOOK_URL: receiver.url, ORCHESTRATION_PROGRESS_WEBHOOK_SECRET: receiver.secret };
    app = await startTestApp(database.db, env);
    const listed = (await http('GET', `${app.url}/api/v1/webhooks`)).body.items;
    expect(listed).toEqual([expect.objectContaining({ url: receiver.url, events: ['*'], builtin: true, active: true })]);
    const { runId, logged } = await runAndReceive(app, database.db, receiver);
    expect(receiver.forRun(runId).map((d) => d.seq)).toEqual(logged.map((e) => e.seq));
    expect(receiver.calls.filter((c) => c.badSignature)).toEqual([]);
    expect((await http('DELETE', `${app.url}/api/v1/webhooks/${listed[0].id}`)).status).toBe(409);

    // Restarted without the variable: the subscription stays, switched off.
    await app.close();
    app = await startTestApp(database.db, FAST);
    expect((await http('GET', `${app.url}/api/v1/webhooks`)).body.items).toEqual([
      expect.objectContaining({ id: listed[0].id, builtin: true, active: false }),
    ]);
  });
});

const describeOnPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

describeOnPostgres('webhooks from two instances on one Postgres (needs TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  let secondConnection: PgDatabase;
  const apps: TestApp[] = [];
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    secondConnection = new PgDatabase(database.url!, 10);
    receiver = await startReceiver({ delayMs: 15 });
    apps.push(await startTestApp(database.db, { ...FAST, BATON_INSTANCE_ID: 'hooks-a' }));
    apps.push(await startTestApp(secondConnection, { ...FAST, BATON_INSTANCE_ID: 'hooks-b' }));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await receiver?.close();
    await secondConnection?.close();
    await database?.drop();
  });

  it('never sends one delivery twice, and each run arrives whole and in order', async () => {
    const [a, b] = apps as [TestApp, TestApp];
    receiver.setFailures([500, 'reset', 500, 503]);
    const hook = await subscribe(a.url, receiver);
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => startPlan(i % 2 ? b.url : a.url, chainPlan)));
    for (const run of runs) await waitForRun(a.url, run.id);
    for (const run of runs) {
      const logged = await loggedEvents(database.db, run.id);
      await waitFor(() => new Set(receiver.forRun(run.id).map((d) => d.seq)).size >= logged.length, { what: `events of ${run.id}` });
      expect(receiver.forRun(run.id).map((d) => d.seq)).toEqual(logged.map((e) => e.seq));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ids = receiver.accepted.map((d) => d.deliveryId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(receiver.maxConcurrentPerDelivery()).toBe(1);
    const { rows } = await database.db.query<{ n: number; events: number }>(
      `select count(*)::int as n, count(distinct event_id)::int as events from webhook_deliveries where subscription_id = $1::uuid`,
      [hook.id],
    );
    expect(rows[0]!.n).toBe(ids.length);
    expect(rows[0]!.events).toBe(ids.length);
  });
});
