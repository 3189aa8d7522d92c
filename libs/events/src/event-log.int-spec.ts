import { randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { EventLogRepository } from './event-log.repository.js';
import { EventLogService } from './event-log.service.js';

describe.each(testDatabaseKinds())('event log on %s', (kind) => {
  let database: TestDatabase;
  let log: EventLogService;
  let emitted: string[];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const emitter = new EventEmitter2({ wildcard: true });
    emitted = [];
    emitter.onAny((name) => emitted.push(String(name)));
    log = new EventLogService(new EventLogRepository(database.db), emitter);
  });

  afterAll(() => database?.drop());

  it('numbers each run gap-free from 1, in append order, across transactions', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await database.db.transaction((tx) =>
      log.append(tx, [
        { runId: a, type: 'run.created' },
        { runId: b, type: 'run.created' },
        { runId: a, type: 'step.started', stepKey: 's1' },
      ]),
    );
    await database.db.transaction((tx) => log.append(tx, [{ runId: a, type: 'step.completed', stepKey: 's1', data: { n: 1 } as never }]));
    const events = await log.listAfter(a);
    expect(events.map((e) => [e.seq, e.type, e.stepKey])).toEqual([
      [1, 'run.created', null],
      [2, 'step.started', 's1'],
      [3, 'step.completed', 's1'],
    ]);
    expect(events[2]!.data).toEqual({ n: 1 });
    expect((await log.listAfter(b)).map((e) => e.seq)).toEqual([1]);
    expect((await log.listAfter(a, 2)).map((e) => e.seq)).toEqual([3]);
  });

  it('emits in-process only after commit, and nothing on rollback', async () => {
    emitted.length = 0;
    await expect(
      database.db.transaction(async (tx) => {
        await log.append(tx, [{ runId: randomUUID(), type: 'run.created' }]);
        expect(emitted).toEqual([]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(emitted).toEqual([]);
    await database.db.transaction((tx) => log.append(tx, [{ runId: randomUUID(), type: 'run.completed' }]));
    expect(emitted).toEqual(['orchestration.run.completed']);
  });

  it('reads every run in a global order that resumes exactly after a position', async () => {
    // The feed shows a transaction's events once every older transaction on the server has
    // ended; other suites' transactions on the same Postgres can hold that back a moment.
    const all = await waitFor(async () => {
      const events = await log.listGlobalAfter(null);
      return events.length >= 5 ? events : undefined;
    }, { what: 'the appended events in the global feed' });
    const middle = all[2]!;
    const rest = await log.listGlobalAfter(middle.position);
    expect(rest.map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
    await expect(log.listGlobalAfter('nonsense')).rejects.toThrow(/position/);
  });
});
