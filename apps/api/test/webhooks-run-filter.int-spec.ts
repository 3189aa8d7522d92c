import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/** Subscriptions scoped to one run (`runId`), and the `format` field, over REST. */
const FAST = { BATON_WEBHOOK_BACKOFF_MS: '20', BATON_WEBHOOK_POLL_MS: '100' };
const plan = (ms: number) => ({ steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms, output: { ms } } }] });

describe.each(testDatabaseKinds())('run-scoped webhooks on %s', (kind) => {
  const ctx = useTestServer(kind, FAST);
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('delivers only the events of the run it names, in the baton envelope', async () => {
    const watched = await startPlan(ctx.url, plan(300));
    const created = await http('POST', `${ctx.url}/api/v1/webhooks`, { url: receiver.url, runId: watched.id, events: ['run.*'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ runId: watched.id, format: 'baton' });
    receiver.secret = created.body.secret;
    const other = await startPlan(ctx.url, plan(50));
    await waitForRun(ctx.url, watched.id);
    await waitForRun(ctx.url, other.id);
    await waitFor(() => receiver.forRun(watched.id).some((d) => d.eventType === 'run.completed'), { what: 'run.completed of the watched run' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.accepted.every((d) => d.runId === watched.id)).toBe(true);
    expect(receiver.calls.every((c) => !c.badSignature)).toBe(true);
  });

  it('refuses an unknown format and a run id that is not one, naming the fields', async () => {
    const bad = await http('POST', `${ctx.url}/api/v1/webhooks`, { url: 'http://127.0.0.1:1/x', runId: 'run-1', format: 'xml' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path)).toEqual(['runId', 'format']);
  });
});
