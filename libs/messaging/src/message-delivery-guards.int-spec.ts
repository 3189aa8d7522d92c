import { randomUUID } from 'node:crypto';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { DeliveryRepository } from './delivery.repository.js';
import { EVENT_WAIT_MACHINE, EVENT_WAIT_MOVES, type EventWaitStatus } from './event-wait-status.js';
import { EventWaitRepository } from './event-wait.repository.js';
import { MESSAGE_DELIVERY_MACHINE, MESSAGE_DELIVERY_MOVES, type MessageDeliveryStatus } from './message-delivery-status.js';

/**
 * The inbox delivery and event wait statements against a row in every status: each must
 * change it exactly when its move's guard (derived from the table) lists that status.
 */
describe.each(testDatabaseKinds())('inbox delivery and event wait guards in SQL on %s', (kind) => {
  let database: TestDatabase;
  let deliveries: DeliveryRepository;
  let waits: EventWaitRepository;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    deliveries = new DeliveryRepository(database.db);
    waits = new EventWaitRepository(database.db);
  });

  afterAll(() => database?.drop());

  interface Fixture { id: string; recipient: string }

  /** A delivery in `status` to a recipient of its own; a leased one's lease ran out (a pending one has none). */
  async function deliveryIn(status: MessageDeliveryStatus, options: { expired?: boolean; attempts?: number } = {}): Promise<Fixture> {
    const recipient = `agent-${randomUUID()}`;
    const { rows } = await database.db.query<{ id: string }>(
      `with m as (
         insert into messages (sender, kind, type_name, type_version, target_agent, payload, nonce)
         values ('tester', 'event', 'test.ping', 1, $1::text, '{}'::jsonb, $2::text) returning id)
       insert into message_deliveries (message_id, recipient, status, attempts, lease_expires_at, expires_at)
       select m.id, $1::text, $3::text, $4::integer,
              case when $3::text = 'pending' then null else now() - interval '1 second' end,
              case when $5::boolean then now() - interval '1 second' end
         from m returning id::text as id`,
      [recipient, randomUUID(), status, options.attempts ?? 1, options.expired ?? false],
    );
    return { id: rows[0]!.id, recipient };
  }

  const deliveryStatus = async (id: string) =>
    (await database.db.query<{ status: MessageDeliveryStatus }>(`select status from message_deliveries where id = $1::uuid`, [id])).rows[0]!.status;

  const cases: Array<[string, MessageDeliveryStatus, Parameters<typeof deliveryIn>[1], (f: Fixture) => Promise<unknown>, readonly MessageDeliveryStatus[]]> = [
    ['lease', 'leased', {}, (f) => deliveries.lease(f.recipient, 10, 30, 5), MESSAGE_DELIVERY_MOVES.lease.from],
    ['ack', 'acked', {}, (f) => deliveries.ack(f.id, f.recipient), MESSAGE_DELIVERY_MOVES.ack.from],
    ['expire', 'expired', { expired: true }, () => deliveries.sweep(5), MESSAGE_DELIVERY_MOVES.expire.from],
    ['bury', 'dead', { attempts: 5 }, () => deliveries.sweep(5), MESSAGE_DELIVERY_MOVES.bury.from],
  ];

  it.each(cases)('delivery %s moves exactly the deliveries its guard lists, and the table allows', async (_name, to, options, call, guard) => {
    for (const from of MESSAGE_DELIVERY_MACHINE.states) {
      const fixture = await deliveryIn(from, options);
      await call(fixture);
      const allowed = guard.includes(from);
      if (allowed) expect(MESSAGE_DELIVERY_MACHINE.can(from, to)).toBe(true);
      expect([from, await deliveryStatus(fixture.id)]).toEqual([from, allowed ? to : from]);
    }
  });

  it('leases no delivery whose lease is still live', async () => {
    const fixture = await deliveryIn('leased');
    await database.db.query(`update message_deliveries set lease_expires_at = now() + interval '1 minute' where id = $1::uuid`, [fixture.id]);
    expect(await deliveries.lease(fixture.recipient, 10, 30, 5)).toEqual([]);
  });

  /** A wait in `status` for an event of its own name, past its deadline when `expired`. */
  async function waitIn(status: EventWaitStatus, expired = false): Promise<{ id: string; runId: string; name: string }> {
    const runId = randomUUID();
    const name = `event-${randomUUID()}`;
    const { rows } = await database.db.query<{ id: string }>(
      `insert into event_waits (run_id, step_key, event_name, match, since, status, expires_at)
       values ($1::uuid, 's', $2::text, '{}'::jsonb, now() - interval '1 minute', $3::text,
               case when $4::boolean then now() - interval '1 second' end)
       returning id::text as id`,
      [runId, name, status, expired],
    );
    return { id: rows[0]!.id, runId, name };
  }

  const waitStatus = async (id: string) =>
    (await database.db.query<{ status: EventWaitStatus }>(`select status from event_waits where id = $1::uuid`, [id])).rows[0]!.status;

  async function storedEvent(name: string): Promise<{ id: string; key: string; name: string; data: unknown; source: string; createdAt: Date }> {
    const key = randomUUID();
    const { rows } = await database.db.query<{ id: string; created_at: Date }>(
      `insert into external_events (event_key, name, data, source) values ($1::text, $2::text, '{}'::jsonb, 'test') returning id::text as id, created_at`,
      [key, name],
    );
    return { id: rows[0]!.id, key, name, data: {}, source: 'test', createdAt: rows[0]!.created_at };
  }

  const waitCases: Array<[string, EventWaitStatus, boolean, (w: Awaited<ReturnType<typeof waitIn>>) => Promise<unknown>, readonly EventWaitStatus[]]> = [
    ['match (an event)', 'matched', false, async (w) => { const event = await storedEvent(w.name); await database.db.transaction((tx) => waits.matchOpenWaits(event, tx)); }, EVENT_WAIT_MOVES.match.from],
    ['match (a signal)', 'matched', false, async (w) => { const event = await storedEvent(w.name); await database.db.transaction((tx) => waits.matchOne(w.id, event.id, tx)); }, EVENT_WAIT_MOVES.match.from],
    ['expire', 'timed_out', true, () => waits.expire(), EVENT_WAIT_MOVES.expire.from],
    ['reopen', 'waiting', false, (w) => database.db.transaction((tx) => waits.insert({ runId: w.runId, stepKey: 's', event: w.name, match: {}, condition: null, since: new Date(), timeoutSeconds: null, eventId: null }, true, tx)), EVENT_WAIT_MOVES.reopen.from],
  ];

  it.each(waitCases)('wait %s moves exactly the waits its guard lists, and the table allows', async (_name, to, expired, call, guard) => {
    for (const from of EVENT_WAIT_MACHINE.states) {
      const wait = await waitIn(from, expired);
      await call(wait);
      const allowed = guard.includes(from);
      if (allowed) expect(EVENT_WAIT_MACHINE.can(from, to)).toBe(true);
      expect([from, await waitStatus(wait.id)]).toEqual([from, allowed ? to : from]);
    }
  });
});
