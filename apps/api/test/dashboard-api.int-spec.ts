import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';
import { delayPlan, delayStep } from './support/step-audit.js';
import { openSse } from './support/sse-client.js';

/**
 * The API the dashboard leans on beyond plain CRUD: the runs list's time filter, the
 * all-runs stream started "from now", and one definition's list of versions.
 */
describe.each(testDatabaseKinds())('dashboard API on %s', (kind) => {
  const ctx = useTestServer(kind);
  const quickPlan = () => delayPlan([delayStep('a', 5)], 1);

  it('filters runs by creation time with createdAfter / createdBefore, and names a bad value', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await startPlan(ctx.url, quickPlan())).id);
    await Promise.all(ids.map((id) => waitForRun(ctx.url, id)));
    // Pin the creation times far in the past so other runs of this file cannot interfere.
    const times = ['2001-01-01T00:00:00Z', '2001-02-01T00:00:00Z', '2001-03-01T00:00:00Z'];
    for (const [i, id] of ids.entries()) {
      await ctx.database.db.query('update orchestration_runs set created_at = $2::timestamptz where id = $1::uuid', [id, times[i]]);
    }
    const list = async (query: string) => {
      const response = await http('GET', `${ctx.url}/api/v1/runs?${query}`);
      expect(response.status).toBe(200);
      return response.body.runs.map((run: { id: string }) => run.id);
    };
    expect(await list('createdAfter=2001-01-15T00:00:00Z&createdBefore=2001-03-01T00:00:00Z')).toEqual([ids[1]]);
    expect(await list('createdBefore=2001-02-01T00:00:00Z')).toEqual([ids[0]]);
    // createdAfter is inclusive; with a cursor the filter still holds on the next page.
    const first = await http('GET', `${ctx.url}/api/v1/runs?createdAfter=2001-01-01T00:00:00Z&createdBefore=2002-01-01T00:00:00Z&limit=2`);
    expect(first.body.runs.map((run: { id: string }) => run.id)).toEqual([ids[2], ids[1]]);
    expect(await list(`createdAfter=2001-01-01T00:00:00Z&createdBefore=2002-01-01T00:00:00Z&limit=2&cursor=${first.body.nextCursor}`)).toEqual([ids[0]]);

    for (const [field, value] of [
      ['createdAfter', 'yesterday'],
      ['createdBefore', '2001-13-45'],
      ['createdAfter', '1'],
    ]) {
      const bad = await http('GET', `${ctx.url}/api/v1/runs?${field}=${value}`);
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual([field]);
    }
  });

  it('starts the all-runs stream at the head with after=now: no history, then live events', async () => {
    const old = await startPlan(ctx.url, quickPlan());
    await waitForRun(ctx.url, old.id);
    const fromStart = await openSse(`${ctx.url}/api/v1/events?types=run.completed`);
    const history = await fromStart.collect((frame) => frame.data.runId === old.id);
    fromStart.close();
    expect(history.frames.some((frame) => frame.data.runId === old.id)).toBe(true);

    const live = await openSse(`${ctx.url}/api/v1/events?after=now&types=run.created,run.completed`);
    expect(live.status).toBe(200);
    const fresh = await startPlan(ctx.url, quickPlan());
    const { frames } = await live.collect((frame) => frame.event === 'run.completed' && frame.data.runId === fresh.id);
    live.close();
    expect(frames.map((frame) => frame.data.runId)).not.toContain(old.id);
    expect(frames.filter((frame) => frame.data.runId === fresh.id).map((frame) => frame.event)).toEqual(['run.created', 'run.completed']);

    // Last-Event-ID (a reconnect) wins over after=now: the stream resumes from that position.
    const resumed = await openSse(`${ctx.url}/api/v1/events?after=now&types=run.completed`, { 'last-event-id': history.frames[0]!.id! });
    const again = await resumed.collect((frame) => frame.data.runId === fresh.id);
    resumed.close();
    expect(again.frames.map((frame) => frame.data.runId)).toContain(old.id);
  });

  it('lists the versions of one definition, newest first, without bodies', async () => {
    const body = (version: string, steps: number) => ({
      name: 'versioned-flow',
      version,
      description: `v${version}`,
      steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, agent: 'builtin:delay', input: { ms: 1 } })),
    });
    for (const [version, steps] of [['1', 1], ['2', 2], ['1.5', 3]] as const) {
      expect((await http('POST', `${ctx.url}/api/v1/definitions`, body(version, steps))).status).toBe(201);
    }
    const response = await http('GET', `${ctx.url}/api/v1/definitions/versioned-flow/versions`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: 'versioned-flow', owner: '' });
    expect(response.body.items.map((v: any) => [v.version, v.stepCount, v.description])).toEqual([
      ['1.5', 3, 'v1.5'],
      ['2', 2, 'v2'],
      ['1', 1, 'v1'],
    ]);
    expect(response.body.items[0]).not.toHaveProperty('definition');
    expect((await http('GET', `${ctx.url}/api/v1/definitions/no-such-flow/versions`)).status).toBe(404);
  });
});
