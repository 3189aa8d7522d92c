import { randomUUID } from 'node:crypto';
import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { delayPlan, delayStep } from './support/step-audit.js';
import { openSse, type SseFrame } from './support/sse-client.js';

/**
 * The SSE doors to the event log, with real HTTP clients on 127.0.0.1: a client that drops
 * mid-run and resumes from its last id gets every event exactly once and in order.
 */
describe.each(testDatabaseKinds())('SSE event streams on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_SSE_HEARTBEAT_MS: '100' });

  const logOf = async (runId: string) =>
    (
      await ctx.database.db.query<{ seq: number; type: string }>(
        'select seq::int as seq, type from orchestration_events where run_id = $1::uuid order by seq',
        [runId],
      )
    ).rows;
  const runUrl = (runId: string, query = '') => `${ctx.url}/api/v1/runs/${runId}/events${query}`;
  const seqsOf = (frames: SseFrame[]) => frames.map((f) => f.data.seq);
  const fourSteps = () =>
    delayPlan([delayStep('a', 120), delayStep('b', 120, ['a']), delayStep('c', 120, ['b']), delayStep('d', 120, ['c'])], 1);

  it('resumes with Last-Event-ID after a disconnect mid-run: every event once, in order, then closes', async () => {
    const run = await startPlan(ctx.url, fourSteps());
    const first = await openSse(runUrl(run.id));
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(first.headers.get('x-accel-buffering')).toBe('no');
    const before = await first.collect((f) => f.event === 'step.completed' && f.data.stepKey === 'a');
    first.close();
    expect(before.ended).toBe(false);

    const lastId = before.frames.at(-1)!.id!;
    const second = await openSse(runUrl(run.id), { 'last-event-id': lastId });
    const after = await second.collect();
    expect(after.ended).toBe(true);

    const log = await logOf(run.id);
    const frames = [...before.frames, ...after.frames];
    expect(seqsOf(frames)).toEqual(log.map((e) => e.seq));
    expect(frames.map((f) => f.event)).toEqual(log.map((e) => e.type));
    expect(frames.map((f) => f.id)).toEqual(log.map((e) => String(e.seq)));
    expect(frames.at(-1)!.event).toBe('run.completed');
    expect(frames[0]!.data).toMatchObject({ runId: run.id, seq: 1, type: 'run.created', stepKey: null });
    expect(typeof frames[0]!.data.createdAt).toBe('string');
    // The resumed stream started live: the run was still going when the first client left.
    expect(after.frames.some((f) => f.event === 'step.started')).toBe(true);
  });

  it('starts after ?after=, and answers a reconnect past the end with 204', async () => {
    const run = await startPlan(ctx.url, delayPlan([delayStep('only', 10)], 1));
    await waitForRun(ctx.url, run.id);
    const stream = await openSse(runUrl(run.id, '?after=2'));
    const { frames, ended } = await stream.collect();
    const log = await logOf(run.id);
    expect(ended).toBe(true);
    expect(seqsOf(frames)).toEqual(log.filter((e) => e.seq > 2).map((e) => e.seq));

    const past = await fetch(runUrl(run.id), { headers: { 'last-event-id': frames.at(-1)!.id! } });
    expect(past.status).toBe(204);
  });

  it('refuses an unknown run with 404 and a malformed cursor with 400', async () => {
    expect((await http('GET', runUrl(randomUUID()))).status).toBe(404);
    expect((await http('GET', runUrl('not-a-uuid'))).status).toBe(400);
    const run = await startPlan(ctx.url, delayPlan([delayStep('only', 10)], 1));
    expect((await http('GET', runUrl(run.id, '?after=abc'))).status).toBe(400);
    expect((await http('GET', `${ctx.url}/api/v1/events?after=12`)).status).toBe(400);
  });

  it('carries child runs as child.<type> frames and resumes exactly inside a child', async () => {
    const child = { name: 'stream-child', version: '1', steps: [delayStep('c1', 150), delayStep('c2', 150, ['c1'])] };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, child)).status).toBe(201);
    const run = await startPlan(ctx.url, {
      steps: [
        delayStep('before', 20),
        { id: 'nested', type: 'orchestration', definition: { name: 'stream-child' }, depends_on: ['before'] },
        delayStep('after', 20, ['nested']),
      ],
    });
    const first = await openSse(runUrl(run.id));
    const before = await first.collect((f) => f.event === 'child.step.completed');
    first.close();
    const lastId = before.frames.at(-1)!.id!;
    expect(lastId).toMatch(/^\d+;\d+=\d+$/); // the child is open: its cursor rides along

    const second = await openSse(runUrl(run.id), { 'last-event-id': lastId });
    const after = await second.collect();
    expect(after.ended).toBe(true);
    const frames = [...before.frames, ...after.frames];

    const done = await waitForRun(ctx.url, run.id);
    const childRunId = stepOf(done, 'nested').childRunId;
    const own = frames.filter((f) => f.data.runId === run.id);
    const children = frames.filter((f) => f.data.runId === childRunId);
    expect(own.length + children.length).toBe(frames.length);
    expect(own.map((f) => [f.data.seq, f.event])).toEqual((await logOf(run.id)).map((e) => [e.seq, e.type]));
    expect(children.map((f) => [f.data.seq, f.event])).toEqual((await logOf(childRunId)).map((e) => [e.seq, `child.${e.type}`]));
    expect(children.every((f) => f.data.parentRunId === run.id)).toBe(true);
    // A child's first event follows the parent event that started it.
    const started = frames.findIndex((f) => f.event === 'step.child_started');
    expect(frames.findIndex((f) => f.event === 'child.run.created')).toBeGreaterThan(started);
    expect(frames.at(-1)!.event).toBe('run.completed');
  });

  it('streams every run in global order, resumes exactly by position, and filters by type', async () => {
    const [start] = (
      await ctx.database.db.query<{ position: string }>(
        `select tx_id::text || '.' || id as position from orchestration_events order by tx_id desc, id desc limit 1`,
      )
    ).rows;
    const runs = [await startPlan(ctx.url, fourSteps()), await startPlan(ctx.url, fourSteps())];
    const ids = new Set(runs.map((r) => r.id));
    const first = await openSse(`${ctx.url}/api/v1/events?after=${start!.position}`);
    const before = await first.collect((f) => f.event === 'step.completed');
    first.close();
    const filtered = await openSse(`${ctx.url}/api/v1/events?after=${start!.position}&types=run.completed`);
    const second = await openSse(`${ctx.url}/api/v1/events`, { 'last-event-id': before.frames.at(-1)!.id! });
    let completed = 0;
    const after = await second.collect((f) => f.event === 'run.completed' && ids.has(f.data.runId) && ++completed === 2, 20_000);
    second.close();

    const frames = [...before.frames, ...after.frames];
    const { rows: log } = await ctx.database.db.query<{ position: string }>(
      `select tx_id::text || '.' || id as position from orchestration_events
        where (tx_id, id) > ($1::text::xid8, $2::bigint) order by tx_id, id limit $3::int`,
      [...start!.position.split('.'), frames.length],
    );
    expect(frames.map((f) => f.id)).toEqual(log.map((e) => e.position));
    expect(frames.map((f) => f.data.position)).toEqual(log.map((e) => e.position));
    for (const id of ids) {
      expect(frames.filter((f) => f.data.runId === id).map((f) => f.data.seq)).toEqual((await logOf(id)).map((e) => e.seq));
    }
    const onlyCompleted = await filtered.collect((f) => ids.has(f.data.runId) && ++completed === 4);
    filtered.close();
    expect(new Set(onlyCompleted.frames.map((f) => f.event))).toEqual(new Set(['run.completed']));
  });

  it('sends heartbeat comments on an idle stream', async () => {
    const idle = await openSse(`${ctx.url}/api/v1/events?types=no.such`);
    await expect(idle.next(400)).rejects.toThrow(/no SSE frame/);
    idle.close();
    expect(idle.comments.filter((c) => c === 'heartbeat').length).toBeGreaterThanOrEqual(2);
  });
});
