import { randomUUID } from 'node:crypto';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { DELIVERY_MACHINE, DELIVERY_MOVES } from './delivery-status.js';
import { DeliveryRepository } from './delivery.repository.js';
import type { ClaimedDelivery, DeliveryStatus } from './webhook.types.js';

/**
 * The delivery statements against a row in every status: each must change it exactly when
 * its move's guard lists that status, and the table allows the change.
 */
describe.each(testDatabaseKinds())('delivery guards in SQL on %s', (kind) => {
  let database: TestDatabase;
  let deliveries: DeliveryRepository;
  let subscriptionId: string;
  let eventId = 0;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    deliveries = new DeliveryRepository(database.db);
    const { rows } = await database.db.query<{ id: string }>(
      `insert into webhook_subscriptions (url, secret) values ('http://127.0.0.1:9/hook', 's') returning id`,
    );
    subscriptionId = rows[0]!.id;
  });

  afterAll(() => database?.drop());

  /** A delivery in `status`, leased by `me` on its first attempt. */
  async function deliveryIn(status: DeliveryStatus): Promise<ClaimedDelivery> {
    const { rows } = await database.db.query<{ id: string }>(
      `insert into webhook_deliveries (subscription_id, event_id, event_type, run_id, event_seq, event, status, attempts,
         lease_owner, lease_expires_at)
       values ($1::uuid, $2::bigint, 'run.completed', $3::uuid, 1, '{}'::jsonb, $4::text, 1, 'me', now() + interval '1 minute')
       returning id`,
      [subscriptionId, ++eventId, randomUUID(), status],
    );
    return { id: rows[0]!.id, attempts: 1 } as ClaimedDelivery;
  }

  const statusOf = async (id: string) =>
    (await database.db.query<{ status: DeliveryStatus }>(`select status from webhook_deliveries where id = $1::uuid`, [id])).rows[0]!.status;

  const cases: Array<[string, DeliveryStatus, (claim: ClaimedDelivery) => Promise<unknown>, readonly DeliveryStatus[]]> = [
    ['deliver', 'delivered', (claim) => deliveries.markDelivered(claim, 'me', 200), DELIVERY_MOVES.deliver.from],
    ['bury', 'dead', (claim) => deliveries.markFailed(claim, 'me', { statusCode: 500, error: 'x', dead: true, delayMs: 0 }), DELIVERY_MOVES.bury.from],
    ['redeliver', 'pending', (claim) => deliveries.redeliver(subscriptionId, claim.id), DELIVERY_MOVES.redeliver.from],
  ];

  it.each(cases)('%s moves exactly the deliveries its guard lists, and the table allows', async (_name, to, call, guard) => {
    for (const from of DELIVERY_MACHINE.states) {
      const claim = await deliveryIn(from);
      await call(claim);
      const allowed = guard.includes(from);
      if (allowed) expect(DELIVERY_MACHINE.can(from, to)).toBe(true);
      expect([from, await statusOf(claim.id)]).toEqual([from, allowed ? to : from]);
    }
  });

  it('keeps a retried delivery pending and never revives a delivered or dead one by a late failure', async () => {
    for (const from of DELIVERY_MACHINE.states) {
      const claim = await deliveryIn(from);
      const changed = await deliveries.markFailed(claim, 'me', { statusCode: 500, error: 'x', dead: false, delayMs: 0 });
      expect([from, changed, await statusOf(claim.id)]).toEqual([from, from === 'pending', from]);
    }
  });
});
