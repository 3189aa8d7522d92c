import { EventStreamService, positionKey, type StreamItem, type StreamSink } from '@baton/events';
import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';
import { delayPlan, delayStep } from './support/step-audit.js';
import { openSse } from './support/sse-client.js';

/**
 * A sink that records what it gets. `hold` makes it a slow client: it takes its first item and
 * then holds the stream until `hold` resolves, so it falls behind the ring however fast or
 * slow the machine produces events.
 */
function recorder(hold?: Promise<void>): StreamSink & { items: StreamItem[]; ended: string | undefined } {
  const sink = {
    items: [] as StreamItem[],
    ended: undefined as string | undefined,
    send(item: StreamItem) {
      sink.items.push(item);
      if (hold && sink.items.length === 1) return hold;
    },
    end(reason: string) {
      sink.ended = reason;
    },
  };
  return sink;
}

/**
 * The global feed's shared tail: one reader per process, a bounded ring, and subscribers that
 * read the table themselves only while behind the ring. A tiny ring (8 events) makes every
 * hand-over happen: resuming from before the ring, falling out of it while slow, rejoining.
 */
describe.each(testDatabaseKinds())('global feed shared tail on %s', (kind) => {
  let database: TestDatabase;
  let server: TestApp;
  let streams: EventStreamService;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startTestApp(database.db, { BATON_SSE_HEARTBEAT_MS: '1000' });
    streams = server.app.get(EventStreamService);
    Object.assign(streams.globalTailOptions, { maxEvents: 8, batchSize: 5 });
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const newest = async () =>
    (
      await database.db.query<{ position: string }>(
        `select tx_id::text || '.' || id as position from orchestration_events order by tx_id desc, id desc limit 1`,
      )
    ).rows[0]?.position ?? null;
  const logAfter = async (position: string | null) =>
    (
      await database.db.query<{ position: string; type: string }>(
        `select tx_id::text || '.' || id as position, type from orchestration_events
          where (tx_id, id) > ($1::text::xid8, $2::bigint) order by tx_id, id`,
        (position ?? '0.0').split('.'),
      )
    ).rows;
  const runSome = async (count: number) => {
    const runs = [];
    for (let i = 0; i < count; i++) {
      runs.push(await startPlan(server.url, delayPlan([delayStep('a', 5), delayStep('b', 5, ['a']), delayStep('c', 5, ['b'])], 1)));
    }
    for (const run of runs) await waitForRun(server.url, run.id);
  };

  it('delivers exactly once and in order across the table/ring hand-over, for live, resumed, slow and filtered clients', async () => {
    await runSome(1); // some history before anyone listens
    const start = await newest();
    const tailReads0 = streams.globalTail.reads;
    const tableReads0 = streams.globalTail.tableReads;
    const fellBehind0 = streams.globalTail.fellBehind;

    const live = Array.from({ length: 10 }, () => recorder());
    const liveSubs = live.map((sink) => streams.openGlobal(start, null, sink));
    const fromStart = recorder();
    const fromStartSub = streams.openGlobal(null, null, fromStart);
    let release!: () => void;
    const slow = recorder(new Promise<void>((resolve) => (release = resolve)));
    const slowSub = streams.openGlobal(start, null, slow);
    const completedOnly = recorder();
    const completedSub = streams.openGlobal(start, ['run.completed'], completedOnly);
    // The slow client must be served from the ring to fall out of it: wait until the tail has
    // started and its floor covers `start`, before any new event (had the runs below begun
    // before the tail's first read, its floor could lie past `start` and the slow client would
    // read the table throughout, never entering the ring).
    await waitFor(() => streams.globalTail.running && streams.globalTail.seek(positionKey(start)) !== null, {
      what: 'the shared tail to start at or before the clients\' position',
    });

    await runSome(4);
    release();
    const log = await logAfter(start);
    const everything = await logAfter(null);
    expect(log.length).toBeGreaterThan(30); // several times the ring

    await waitFor(() => [...live, fromStart, slow].every((s) => s.items.length >= (s === fromStart ? everything : log).length), {
      what: 'every client to catch up',
      timeoutMs: 20_000,
    });
    // A client resuming from the middle of the history, after the ring moved past it.
    const middle = log[Math.floor(log.length / 2)]!.position;
    const resumed = recorder();
    const resumedSub = streams.openGlobal(middle, null, resumed);
    const afterMiddle = await logAfter(middle);
    await waitFor(() => resumed.items.length >= afterMiddle.length, { what: 'the resumed client' });
    await new Promise((resolve) => setTimeout(resolve, 100)); // nothing more (no duplicates) may follow

    const ids = (sink: { items: StreamItem[] }) => sink.items.map((item) => item.id);
    for (const sink of live) expect(ids(sink)).toEqual(log.map((e) => e.position));
    expect(ids(slow)).toEqual(log.map((e) => e.position));
    expect(ids(fromStart)).toEqual(everything.map((e) => e.position));
    expect(ids(resumed)).toEqual(afterMiddle.map((e) => e.position));
    expect(ids(completedOnly)).toEqual(log.filter((e) => e.type === 'run.completed').map((e) => e.position));
    expect(resumed.items.every((item) => item.event.position === item.id)).toBe(true);

    // The live clients were served from memory: the tail read for all of them, and table reads
    // came from the clients that started or fell behind the ring, not from every client per wake.
    const tailReads = streams.globalTail.reads - tailReads0;
    const tableReads = streams.globalTail.tableReads - tableReads0;
    expect(tailReads).toBeGreaterThan(0);
    expect(tableReads).toBeLessThan(tailReads * 4);
    expect(streams.globalTail.size).toBeLessThanOrEqual(8);
    expect(streams.globalTail.fellBehind - fellBehind0).toBeGreaterThan(0); // the slow client did
    // Live clients share one item object per event: serialized once, not once per client.
    expect(live[1]!.items.at(-1)).toBe(live[0]!.items.at(-1));

    for (const sub of [...liveSubs, fromStartSub, slowSub, completedSub, resumedSub]) sub.close();
    expect(live.every((s) => s.ended === 'closed')).toBe(true);
    expect(streams.globalTail.subscriberCount).toBe(0);
  });

  it('sends the same SSE bytes to every client of the feed and resumes from Last-Event-ID', async () => {
    const start = await newest();
    const clients = await Promise.all([1, 2, 3].map(() => openSse(`${server.url}/api/v1/events?after=${start}`)));
    await runSome(2);
    const log = await logAfter(start);
    const received = await Promise.all(clients.map((c) => c.collect((f) => f.id === log.at(-1)!.position, 10_000)));
    for (const c of clients) c.close();
    for (const { frames } of received) expect(frames.map((f) => f.id)).toEqual(log.map((e) => e.position));
    expect(received[1]!.frames).toEqual(received[0]!.frames);

    const resumed = await openSse(`${server.url}/api/v1/events`, { 'last-event-id': log[3]!.position });
    const rest = await resumed.collect((f) => f.id === log.at(-1)!.position, 10_000);
    resumed.close();
    expect(rest.frames.map((f) => f.id)).toEqual(log.slice(4).map((e) => e.position));
  });
});
