import { randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { EventWaitService, EVENT_WAIT_MATCHED, type EventWaitSignal } from '@baton/messaging';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, startTestApp, useTestServer } from './support/test-app.js';

const ADMIN = 'event-waits-admin-token-0123456789abc';
const ENV = { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_MESSAGE_SWEEP_MS: '100' };
const auth = { authorization: `Bearer ${ADMIN}` };

/**
 * The messaging side of steps that wait for events: no lost wake-up when the event arrives
 * just before the wait is registered (Inngest's bug) or while it is being registered
 * (Hatchet's), on one instance or two.
 */
describe.each(testDatabaseKinds())('event waits on %s', (kind) => {
  const ctx = useTestServer(kind, ENV);
  const waits = () => ctx.server.app.get(EventWaitService);
  const post = (name: string, data: unknown, url = ctx.url) =>
    http('POST', `${url}/api/v1/events/external`, { name, data, id: randomUUID() }, auth);

  it('matches an event that arrived after the run started but before the wait began', async () => {
    const runId = randomUUID();
    const since = new Date(Date.now() - 1_000);
    const event = await post('payment.received', { order: 'a1', amount: 5 });
    const wait = await waits().waitFor({ runId, stepKey: 'pay', event: 'payment.received', match: { order: 'a1' }, since });
    expect(wait).toMatchObject({ status: 'matched', eventId: event.body.event_id });
    // Registering again (a re-claimed step) returns the same wait, not a second one
    expect((await waits().waitFor({ runId, stepKey: 'pay', event: 'payment.received', since })).id).toBe(wait.id);
  });

  it('ignores events from before `since` and non-matching data, and wakes on the next match', async () => {
    await post('shipment.sent', { order: 'b1' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const runId = randomUUID();
    const signals: EventWaitSignal[] = [];
    ctx.server.app.get(EventEmitter2).on(EVENT_WAIT_MATCHED, (signal: EventWaitSignal) => signals.push(signal));
    const wait = await waits().waitFor({ runId, stepKey: 'ship', event: 'shipment.sent', match: { order: 'b1' }, since });
    expect(wait.status).toBe('waiting');
    await post('shipment.sent', { order: 'other' });
    expect((await waits().get(runId, 'ship'))?.status).toBe('waiting');
    const event = await post('shipment.sent', { order: 'b1', carrier: 'x' });
    expect(await waits().get(runId, 'ship')).toMatchObject({ status: 'matched', eventId: event.body.event_id });
    await waitFor(() => signals.find((s) => s.runId === runId));
    expect(signals.filter((s) => s.runId === runId)).toEqual([{ runId, stepKey: 'ship', eventId: event.body.event_id }]);
  });

  it('loses no wake-up when waits and their events race, across two instances', async () => {
    const second = await startTestApp(ctx.database.db, ENV);
    try {
      const since = new Date(Date.now() - 1_000);
      const pairs = Array.from({ length: 20 }, (_, i) => ({ runId: randomUUID(), order: `race-${i}` }));
      await Promise.all(
        pairs.flatMap(({ runId, order }, i) => [
          waits().waitFor({ runId, stepKey: 'w', event: 'race.event', match: { order }, since }),
          post('race.event', { order }, i % 2 === 0 ? second.url : ctx.url),
        ]),
      );
      const states = await Promise.all(pairs.map(({ runId }) => waits().get(runId, 'w')));
      expect(states.map((w) => w?.status)).toEqual(pairs.map(() => 'matched'));
    } finally {
      await second.close();
    }
  });

  // Postgres only: on PGlite (one connection) the event's request would queue behind the open transaction anyway.
  (kind === 'postgres' ? it : it.skip)('holds an event posted while a wait is being registered until the wait commits, then matches it', async () => {
    const runId = randomUUID();
    let posted: Promise<{ status: number }> | undefined;
    let settledEarly = false;
    await ctx.database.db.transaction(async (tx) => {
      await waits().waitFor({ runId, stepKey: 'mid', event: 'mid.event', since: new Date(Date.now() - 1_000) }, tx);
      // The wait row exists but is not committed: the event arrives now, on another connection.
      posted = post('mid.event', { n: 1 });
      void posted.then(() => (settledEarly = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    // Without the per-name lock the event would have committed meanwhile, seen no open wait,
    // and the wait would stay open for good (Hatchet's lost wake-up).
    expect(settledEarly).toBe(false);
    expect((await posted!).status).toBe(201);
    expect((await waits().get(runId, 'mid'))?.status).toBe('matched');
  });

  it('times a wait out when nothing matches in time', async () => {
    const runId = randomUUID();
    await waits().waitFor({ runId, stepKey: 't', event: 'never.happens', since: new Date(), timeoutSeconds: 1 });
    await waitFor(async () => (await waits().get(runId, 't'))?.status === 'timed_out', { timeoutMs: 5_000 });
  });

  it("counts an agent's event message as an event", async () => {
    await http('POST', `${ctx.url}/api/v1/message-types`, { name: 'doc.ready', schema: { type: 'object' } }, auth);
    const agent = (await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'writer', role: 'agent' }, auth)).body.token;
    await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'reader', role: 'agent' }, auth);
    const runId = randomUUID();
    await waits().waitFor({ runId, stepKey: 'doc', event: 'doc.ready', match: { doc: 'd1' }, since: new Date(Date.now() - 1_000) });
    const sent = await http(
      'POST',
      `${ctx.url}/api/v1/messages`,
      { to: { agent: 'reader' }, kind: 'event', type: 'doc.ready', payload: { doc: 'd1' }, nonce: randomUUID() },
      { authorization: `Bearer ${agent}` },
    );
    expect(sent.status).toBe(201);
    expect((await waits().get(runId, 'doc'))?.status).toBe('matched');
  });
});
