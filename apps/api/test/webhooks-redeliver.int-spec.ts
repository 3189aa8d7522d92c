import { randomUUID } from 'node:crypto';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/**
 * `POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver`: a dead delivery goes back in
 * the outbox (the dashboard's Redeliver button), against a real receiver that was down.
 */
describe.each(testDatabaseKinds())('redelivering a dead webhook delivery on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_WEBHOOK_BACKOFF_MS: '20', BATON_WEBHOOK_POLL_MS: '100', BATON_WEBHOOK_MAX_ATTEMPTS: '2' });
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('sends a dead delivery again once asked, with a fresh attempt budget, and refuses any other', async () => {
    receiver.setDown(500);
    const created = await http('POST', `${ctx.url}/api/v1/webhooks`, { url: receiver.url, events: ['run.completed'] });
    expect(created.status).toBe(201);
    receiver.secret = created.body.secret;
    const hook = created.body.id as string;
    const run = await startPlan(ctx.url, { steps: [{ id: 'only', agent: 'builtin:echo' }] });
    await waitForRun(ctx.url, run.id);
    const dead = await waitFor(
      async () => (await http('GET', `${ctx.url}/api/v1/webhooks/${hook}/deliveries?status=dead`)).body.items[0],
      { what: 'a dead delivery' },
    );
    expect(dead).toMatchObject({ runId: run.id, attempts: 2, lastStatusCode: 500 });

    receiver.setDown(null);
    const again = await http('POST', `${ctx.url}/api/v1/webhooks/${hook}/deliveries/${dead.id}/redeliver`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: dead.id, status: 'pending', attempts: 0, deadAt: null });
    const delivered = await waitFor(
      async () => (await http('GET', `${ctx.url}/api/v1/webhooks/${hook}/deliveries?status=delivered`)).body.items[0],
      { what: 'the redelivered delivery' },
    );
    expect(delivered).toMatchObject({ id: dead.id, attempts: 1, lastStatusCode: 204 });
    expect(receiver.forRun(run.id).map((d) => d.deliveryId)).toEqual([dead.id]);

    // Only dead deliveries: a delivered one is a 409, an unknown one a 404, and nothing changes.
    const refused = await http('POST', `${ctx.url}/api/v1/webhooks/${hook}/deliveries/${dead.id}/redeliver`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/is delivered/);
    expect((await http('POST', `${ctx.url}/api/v1/webhooks/${hook}/deliveries/${randomUUID()}/redeliver`)).status).toBe(404);
    expect((await http('POST', `${ctx.url}/api/v1/webhooks/${hook}/deliveries/nope/redeliver`)).status).toBe(404);
    expect((await http('POST', `${ctx.url}/api/v1/webhooks/${randomUUID()}/deliveries/${dead.id}/redeliver`)).status).toBe(404);
    expect((await http('GET', `${ctx.url}/api/v1/webhooks/${hook}/deliveries?status=delivered`)).body.items).toHaveLength(1);
  });
});
