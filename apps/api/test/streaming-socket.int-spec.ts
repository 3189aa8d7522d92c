import WebSocket from 'ws';
import { EventRetentionService } from '@baton/events';
import { testDatabaseKinds, waitFor, expectWithinBound, since } from '@baton/testing';
import { http, startTestApp, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { delayPlan, delayStep } from './support/step-audit.js';
import { openSse } from './support/sse-client.js';

/** A real `ws` client that records every server message. */
async function connect(url: string): Promise<{ socket: WebSocket; messages: any[] }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/ws`);
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, messages };
}

describe.each(testDatabaseKinds())('WebSocket and retention on %s', (kind) => {
  const ctx = useTestServer(kind);

  const logOf = async (runId: string) =>
    (await ctx.database.db.query<{ seq: number }>('select seq::int as seq from orchestration_events where run_id = $1::uuid order by seq', [runId])).rows;

  it('subscribes to a run from a cursor and gets the rest in order, then an end', async () => {
    const run = await startPlan(ctx.url, delayPlan([delayStep('a', 100), delayStep('b', 100, ['a'])], 1));
    const { socket, messages } = await connect(ctx.url);
    socket.send(JSON.stringify({ subscribe: { runId: run.id, after: 2 } }));
    await waitFor(() => messages.some((m) => m.end), { what: 'end of the run stream' });
    socket.close();

    const events = messages.filter((m) => m.event);
    const log = await logOf(run.id);
    expect(events.map((m) => m.event.seq)).toEqual(log.filter((e) => e.seq > 2).map((e) => e.seq));
    expect(events.map((m) => m.cursor)).toEqual(events.map((m) => String(m.event.seq)));
    expect(events.every((m) => m.runId === run.id && m.event.runId === run.id)).toBe(true);
    expect(events.at(-1).event.type).toBe('run.completed');
    expect(messages.at(-1)).toEqual({ end: { runId: run.id, reason: 'finished' } });
  });

  it('subscribes to every run from a position, stops on unsubscribe, and names bad input', async () => {
    const { socket, messages } = await connect(ctx.url);
    const seen = await startPlan(ctx.url, delayPlan([delayStep('a', 10)], 1));
    await waitForRun(ctx.url, seen.id);
    const [mark] = (
      await ctx.database.db.query<{ position: string }>(
        `select tx_id::text || '.' || id as position from orchestration_events where run_id = $1::uuid and seq = 1`,
        [seen.id],
      )
    ).rows;
    socket.send(JSON.stringify({ subscribe: { after: mark!.position } }));
    const run = await startPlan(ctx.url, delayPlan([delayStep('a', 10)], 1));
    await waitFor(() => messages.some((m) => m.event?.runId === run.id && m.event.type === 'run.completed'), { what: 'run.completed' });
    const fromSeen = messages.filter((m) => m.event?.runId === seen.id).map((m) => m.event.seq);
    expect(fromSeen).toEqual((await logOf(seen.id)).slice(1).map((e) => e.seq));
    expect(messages.filter((m) => m.event?.runId === run.id).map((m) => m.event.seq)).toEqual((await logOf(run.id)).map((e) => e.seq));
    const positions = messages.filter((m) => m.event).map((m) => m.cursor);
    expect(messages.filter((m) => m.event).every((m) => m.runId === null && m.cursor === m.event.position)).toBe(true);
    expect(new Set(positions).size).toBe(positions.length);

    socket.send(JSON.stringify({ unsubscribe: {} }));
    socket.send(JSON.stringify({ subscribe: { runId: 'nope' } }));
    await waitFor(() => messages.some((m) => m.error), { what: 'an error message' });
    const count = messages.length;
    await startPlan(ctx.url, delayPlan([delayStep('a', 10)], 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messages.slice(count)).toEqual([]);
    expect(messages.find((m) => m.error).error).toMatchObject({ code: 'validation', message: 'runId must be a UUID' });
    socket.close();
  });

  it('refuses an upgrade to a path no socket server claims at once, and still serves both socket paths', async () => {
    const outcome = (path: string) => new Promise<string>((resolve) => {
      const socket = new WebSocket(`${ctx.url.replace(/^http/, 'ws')}${path}`);
      const timer = setTimeout(() => (resolve('hung'), socket.terminate()), 5_000);
      socket.once('open', () => (clearTimeout(timer), resolve('open'), socket.close()));
      socket.once('unexpected-response', (_req, res) => (clearTimeout(timer), resolve(String(res.statusCode)), socket.terminate()));
      socket.once('error', () => (clearTimeout(timer), resolve('refused')));
    });
    expect(await outcome('/api/v1/no-such-socket')).toBe('refused');
    expect(await outcome('/api/v1/ws')).toBe('open');
    // The workflow socket's path is claimed too: an unknown workflow is its 404, not a reset.
    expect(await outcome('/ws/workflows/00000000-0000-4000-8000-000000000000')).toBe('404');
  });

  it('prunes the events of runs finished longer ago than the retention, and only those', async () => {
    const oldDone = await startPlan(ctx.url, delayPlan([delayStep('a', 10)], 1));
    const recentDone = await startPlan(ctx.url, delayPlan([delayStep('a', 10)], 1));
    const unfinished = await startPlan(ctx.url, delayPlan([delayStep('slow', 20_000)], 1));
    await waitForRun(ctx.url, oldDone.id);
    await waitForRun(ctx.url, recentDone.id);
    await waitForRun(ctx.url, unfinished.id, (r) => stepOf(r, 'slow').status === 'running');
    // Age the finished run and the unfinished one far past a 24 h retention.
    await ctx.database.db.query(
      `update orchestration_events set created_at = created_at - interval '1000 hours' where run_id = any($1::uuid[])`,
      [[oldDone.id, unfinished.id]],
    );

    const pruned = await ctx.server.app.get(EventRetentionService).pruneOnce(24);
    expect(pruned.runs).toBe(1);
    expect(await logOf(oldDone.id)).toEqual([]);
    const streams = await ctx.database.db.query('select 1 from orchestration_event_streams where run_id = $1::uuid', [oldDone.id]);
    expect(streams.rows).toEqual([]);
    expect((await logOf(recentDone.id)).length).toBeGreaterThan(3);
    expect((await logOf(unfinished.id)).length).toBeGreaterThan(2);
    expect((await http('GET', `${ctx.url}/api/v1/runs/${oldDone.id}/events`)).status).toBe(404);
    expect((await ctx.server.app.get(EventRetentionService).pruneOnce(24)).runs).toBe(0);
    await http('POST', `${ctx.url}/api/v1/runs/${unfinished.id}/cancel`);
  });

  it('ends open SSE and WebSocket clients when the server shuts down, instead of hanging', async () => {
    const other = await startTestApp(ctx.database.db);
    const sse = await openSse(`${other.url}/api/v1/events`);
    const { socket } = await connect(other.url);
    socket.send(JSON.stringify({ subscribe: {} }));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    const startedAt = Date.now();
    await other.close();
    expectWithinBound('closing a server with open SSE and WebSocket clients', since(startedAt), 10_000);
    expect(await closed).toBe(1001);
    await expect(sse.collect(undefined, 2_000)).resolves.toMatchObject({ ended: true });
  });
});
