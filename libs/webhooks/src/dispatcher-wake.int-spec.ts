import { randomUUID } from 'node:crypto';
import type { ModuleRef } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import { EventLogService, RunOwnerCache } from '@baton/events';
import { EventLogRepository } from '../../events/src/event-log.repository.js';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { DeliveryRepository } from './delivery.repository.js';
import { DispatchCursorRepository } from './dispatch-cursor.repository.js';
import { SubscriptionRepository, type NewSubscription } from './subscription.repository.js';
import { WebhookDispatcherService } from './webhook-dispatcher.service.js';

/**
 * Which local events wake the dispatcher (issue 17): only those an active subscription may
 * want, once it has read the subscriptions, and everything while a write of this process may
 * have changed them since. Rounds are run by hand; the loop is never started.
 */
describe.each(testDatabaseKinds())('webhook dispatcher wake-ups on %s', (kind) => {
  let database: TestDatabase;
  let log: EventLogService;
  let subscriptions: SubscriptionRepository;
  let dispatcher: WebhookDispatcherService;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    log = new EventLogService(new EventLogRepository(database.db), new EventEmitter2());
    subscriptions = new SubscriptionRepository(database.db);
    // Without the runs module no run has an owner (none of these subscriptions is owned).
    const noRunsModule = { get: () => { throw new Error('no runs module in this test'); } } as unknown as ModuleRef;
    dispatcher = new WebhookDispatcherService(
      new BatonConfig({}), database.db, log, subscriptions,
      new DeliveryRepository(database.db), new DispatchCursorRepository(database.db), new RunOwnerCache(noRunsModule),
    );
  });

  afterAll(() => database?.drop());

  const subscription = (events: string[], fields: Partial<NewSubscription> = {}): NewSubscription => ({
    url: 'http://127.0.0.1:9/hook', events, secret: 's', description: null, active: true, ...fields,
  });

  /** Appends an event and runs rounds until one has read it (a commit may lag the horizon a moment). */
  async function roundOverNewEvent(): Promise<void> {
    await database.db.transaction((tx) => log.append(tx, [{ runId: randomUUID(), type: 'run.created' }]));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if ((await dispatcher.dispatchOnce()).events > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('no dispatch round read the new event');
  }

  it('wakes for every event until a round has read the subscriptions', () => {
    expect(dispatcher.wakesFor({ type: 'step.completed', runId: randomUUID() })).toBe(true);
  });

  it('then wakes only for events an active subscription may want, by type and by run', async () => {
    const run = randomUUID();
    await subscriptions.insert(subscription(['run.*']));
    await subscriptions.insert(subscription(['step.*'], { active: false }));
    await subscriptions.upsertScoped({ ...subscription(['*']), id: randomUUID(), runId: run });
    await roundOverNewEvent();
    expect(dispatcher.wakesFor({ type: 'run.completed', runId: randomUUID() })).toBe(true);
    expect(dispatcher.wakesFor({ type: 'step.completed', runId: randomUUID() })).toBe(false);
    expect(dispatcher.wakesFor({ type: 'step.completed', runId: run })).toBe(true);
  });

  it('wakes for everything from the commit of a subscription written here, not before', async () => {
    const other = { type: 'step.completed', runId: randomUUID() };
    let created = '';
    await database.db.transaction(async (tx) => {
      created = (await subscriptions.insert(subscription(['step.*']), tx)).id;
      // Not committed: no round could see it yet, and the set read last is still the truth.
      expect(dispatcher.wakesFor(other)).toBe(false);
    });
    expect(dispatcher.wakesFor(other)).toBe(true);
    await roundOverNewEvent();
    expect(dispatcher.wakesFor(other)).toBe(true);
    // Deleting it moves the generation too; the next round learns it is gone.
    await subscriptions.delete(created);
    await roundOverNewEvent();
    expect(dispatcher.wakesFor(other)).toBe(false);
  });

  it('a rolled-back write leaves what the last round read in force', async () => {
    const other = { type: 'approval.requested', runId: randomUUID() };
    await expect(
      database.db.transaction(async (tx) => {
        await subscriptions.insert(subscription(['approval.*']), tx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(dispatcher.wakesFor(other)).toBe(false);
  });
});
