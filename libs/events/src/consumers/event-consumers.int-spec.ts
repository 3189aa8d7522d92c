import { randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { EventLogRepository } from '../event-log.repository.js';
import { EventLogService } from '../event-log.service.js';
import type { RunEvent } from '../event-types.js';
import { ConsumerCursorRepository } from './consumer-cursor.repository.js';
import { EventConsumers, type ConsumerHandle } from './event-consumers.service.js';

describe.each(testDatabaseKinds())('durable event consumers on %s', (kind) => {
  let database: TestDatabase;
  let log: EventLogService;
  let consumers: EventConsumers;
  const handles: ConsumerHandle[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await database.db.query(`create table consumer_effects (run_id uuid not null, type text not null)`);
    log = new EventLogService(new EventLogRepository(database.db), new EventEmitter2());
    // A poll far in the future: every round in these tests is run by hand.
    consumers = new EventConsumers(database.db, log, new ConsumerCursorRepository(database.db), new BatonConfig({ BATON_POLL_INTERVAL_MS: '600000' }));
  });

  afterAll(async () => {
    await Promise.all(handles.map((h) => h.stop()));
    await database?.drop();
  });

  async function start(name: string, handle: (events: RunEvent[]) => void): Promise<ConsumerHandle> {
    const consumer = consumers.start({
      name,
      types: new Set(['run.completed']),
      handle: async (events, tx) => {
        for (const event of events) await tx.query(`insert into consumer_effects (run_id, type) values ($1::uuid, $2::text)`, [event.runId, name]);
        handle(events);
      },
    });
    handles.push(consumer);
    await consumer.stop(); // the first round started by `start` has finished; later rounds by hand
    return consumer;
  }

  /**
   * Rounds until `n` events were handled. On a shared Postgres server a commit may stay behind
   * the visibility horizon for a moment (another database's open transaction holds the
   * cluster-wide xmin), so one round can legitimately see nothing yet.
   */
  const drainUntil = async (consumer: Awaited<ReturnType<typeof start>>, n: number) => {
    let handled = 0;
    const deadline = Date.now() + 10_000;
    while (handled < n && Date.now() < deadline) {
      const round = await consumer.drainOnce();
      expect(round.locked).toBe(true);
      handled += round.handled;
      if (handled < n) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return handled;
  };

  const effects = async (name: string) =>
    (await database.db.query<{ run_id: string }>(`select run_id from consumer_effects where type = $1::text`, [name])).rows.map((r) => r.run_id);

  it('commits its effects and its position together, so a failed round is redone whole', async () => {
    const runs = [randomUUID(), randomUUID()];
    await database.db.transaction((tx) => log.append(tx, runs.map((runId) => ({ runId, type: 'run.completed' as const }))));
    let fail = true;
    const consumer = await start('flaky', () => {
      if (fail) throw new Error('crash after the effects, before the commit');
    });
    // Rounds until the events are visible and the handler throws (see drainUntil).
    const failed = async () => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if ((await consumer.drainOnce()).handled > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await expect(failed()).rejects.toThrow('crash after the effects');
    expect(await effects('flaky')).toEqual([]);
    fail = false;
    expect(await drainUntil(consumer, 2)).toBe(2);
    expect((await effects('flaky')).sort()).toEqual([...runs].sort());
    expect((await consumer.drainOnce()).handled).toBe(0);
  });

  it('passes only the wanted types but moves past the others', async () => {
    const runId = randomUUID();
    const seen: string[] = [];
    const consumer = await start('typed', (events) => seen.push(...events.map((e) => e.type)));
    await consumer.drainOnce();
    seen.length = 0;
    await database.db.transaction((tx) => log.append(tx, [{ runId, type: 'run.started' }, { runId, type: 'run.completed' }]));
    expect(await drainUntil(consumer, 1)).toBe(1);
    expect(seen).toEqual(['run.completed']);
  });

  it('is woken by an event appended here only when it handles the type', async () => {
    const cursors = new ConsumerCursorRepository(database.db);
    const seen: string[] = [];
    // No poll within the test: every round below is one a wake-up asked for.
    const consumer = consumers.start({ name: 'woken', types: new Set(['run.completed']), pollMs: 600_000, handle: async (events) => void seen.push(...events.map((e) => e.type)) });
    handles.push(consumer);
    const runId = randomUUID();
    const [started] = await database.db.transaction((tx) => log.append(tx, [{ runId, type: 'run.started' }]));
    // The first rounds read to the end of the log (woken again until the append is visible:
    // see drainUntil); then whatever round was still asked for finds nothing more.
    await waitFor(async () => (await cursors.read('woken')) === started!.position || (consumer.wake(), false), { what: 'the first rounds' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await cursors.read('woken')).toBe(started!.position);
    seen.length = 0; // the other tests' run ends, from the start of the log

    const [step] = await database.db.transaction((tx) => log.append(tx, [{ runId, type: 'step.completed', stepKey: 'a' }]));
    consumers.onDomainEvent(step);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await cursors.read('woken')).toBe(started!.position); // not woken: no round ran

    const [end] = await database.db.transaction((tx) => log.append(tx, [{ runId, type: 'run.completed' }]));
    consumers.onDomainEvent(end);
    await waitFor(async () => (await cursors.read('woken')) === end!.position || (consumers.onDomainEvent(end), false), { what: 'the round the run end woke' });
    expect(seen).toEqual(['run.completed']);
  });

  it('is woken by an event of a handled type only when its wakesFor says so', async () => {
    const cursors = new ConsumerCursorRepository(database.db);
    const watched = randomUUID();
    const consumer = consumers.start({
      name: 'picky', types: new Set(['run.completed']), pollMs: 600_000, handle: async () => undefined,
      wakesFor: (event) => event.runId === watched,
    });
    handles.push(consumer);
    const [first] = await database.db.transaction((tx) => log.append(tx, [{ runId: randomUUID(), type: 'run.started' }]));
    await waitFor(async () => (await cursors.read('picky')) === first!.position || (consumer.wake(), false), { what: 'the first rounds' });
    await new Promise((resolve) => setTimeout(resolve, 200));

    const [other] = await database.db.transaction((tx) => log.append(tx, [{ runId: randomUUID(), type: 'run.completed' }]));
    consumers.onDomainEvent(other);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await cursors.read('picky')).toBe(first!.position); // handled type, but not worth a round

    const [mine] = await database.db.transaction((tx) => log.append(tx, [{ runId: watched, type: 'run.completed' }]));
    consumers.onDomainEvent(mine);
    await waitFor(async () => (await cursors.read('picky')) === mine!.position || (consumers.onDomainEvent(mine), false), { what: 'the round the watched run woke' });
  });
});
