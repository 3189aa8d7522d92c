import { EventEmitter2 } from '@nestjs/event-emitter';
import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { http, startTestApp, type TestApp } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

/** One scrape, parsed: `value(name, labels)` is the sample's value, 0 when absent. */
class Scrape {
  private readonly samples = new Map<string, number>();

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const at = line.lastIndexOf(' ');
      this.samples.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
  }

  value(name: string, labels: Record<string, string> = {}): number {
    const inner = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
    return this.samples.get(inner ? `${name}{${inner}}` : name) ?? 0;
  }

  /** The sum over every sample of `name` whose labels include `labels`. */
  sum(name: string, labels: Record<string, string> = {}): number {
    let total = 0;
    for (const [key, value] of this.samples) {
      if (key !== name && !key.startsWith(`${name}{`)) continue;
      if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) total += value;
    }
    return total;
  }
}

describe.each(testDatabaseKinds())('metrics on %s', (kind) => {
  let database: TestDatabase;
  let server: TestApp;

  async function scrape(): Promise<Scrape> {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    return new Scrape(await response.text());
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startTestApp(database.db, { ORCHESTRATION_DEFAULT_MAX_PARALLEL: '4' });
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('serves every orchestration metric and the process metrics', async () => {
    const { text } = await scrape();
    for (const name of [
      'orchestration_runs_total',
      'orchestration_run_duration_seconds',
      'orchestration_steps_total',
      'orchestration_step_duration_seconds',
      'orchestration_step_cache_hits_total',
      'orchestration_step_cache_misses_total',
      'orchestration_queue_depth',
      'orchestration_running_steps',
      'orchestration_approvals_pending',
      'orchestration_webhook_deliveries_total',
      'process_cpu_user_seconds_total',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('counts a completed run, its steps and their durations exactly once', async () => {
    const before = await scrape();
    const run = await startPlan(server.url, {
      steps: [
        { id: 'a', agent: 'builtin:echo', input: { x: 1 } },
        { id: 'b', agent: 'builtin:transform', depends_on: ['a'], input: { y: '{{ steps.a.output.x }}' } },
        { id: 'c', agent: 'builtin:transform', depends_on: ['a'], input: 'z' },
      ],
    });
    expect((await waitForRun(server.url, run.id)).status).toBe('completed');
    const after = await waitFor(async () => {
      const current = await scrape();
      return current.value('orchestration_runs_total', { status: 'completed' }) >
        before.value('orchestration_runs_total', { status: 'completed' })
        ? current
        : undefined;
    }, { what: 'the run to be counted' });
    const delta = (name: string, labels: Record<string, string> = {}) => after.sum(name, labels) - before.sum(name, labels);

    expect(delta('orchestration_runs_total', { status: 'completed' })).toBe(1);
    expect(delta('orchestration_runs_total')).toBe(1);
    expect(delta('orchestration_run_duration_seconds_count')).toBe(1);
    expect(delta('orchestration_steps_total', { status: 'completed' })).toBe(3);
    expect(delta('orchestration_steps_total', { status: 'completed', agent: 'builtin:echo' })).toBe(1);
    expect(delta('orchestration_steps_total', { status: 'completed', agent: 'builtin:transform' })).toBe(2);
    expect(delta('orchestration_step_duration_seconds_count')).toBe(3);
    expect(delta('orchestration_step_duration_seconds_count', { agent: 'builtin:transform' })).toBe(2);
    expect(delta('orchestration_step_cache_hits_total')).toBe(0);
    expect(after.value('orchestration_queue_depth')).toBe(0);
    expect(after.value('orchestration_running_steps')).toBe(0);
    expect(after.value('orchestration_approvals_pending')).toBe(0);
  });

  it('counts a failed run and its failed step', async () => {
    const before = await scrape();
    const run = await startPlan(server.url, { steps: [{ id: 'boom', agent: 'builtin:fail', input: { message: 'no' } }] });
    expect((await waitForRun(server.url, run.id)).status).toBe('failed');
    const after = await waitFor(async () => {
      const current = await scrape();
      return current.value('orchestration_runs_total', { status: 'failed' }) > before.value('orchestration_runs_total', { status: 'failed' })
        ? current
        : undefined;
    }, { what: 'the failed run to be counted' });
    expect(after.value('orchestration_runs_total', { status: 'failed' }) - before.value('orchestration_runs_total', { status: 'failed' })).toBe(1);
    expect(
      after.sum('orchestration_steps_total', { status: 'failed', agent: 'builtin:fail' }) -
        before.sum('orchestration_steps_total', { status: 'failed', agent: 'builtin:fail' }),
    ).toBe(1);
  });

  it('counts cache hits and (approximate) misses', async () => {
    const plan = {
      name: 'metrics-cached',
      version: '1',
      orchestration: { execution: { caching: { enabled: true, ttlSeconds: 600 } } },
      steps: [{ id: 'slow', agent: 'builtin:delay', input: { ms: 20, output: { answer: '{{ input.q }}' } } }],
    };
    expect((await http('POST', `${server.url}/api/v1/definitions`, plan)).status).toBe(201);
    const before = await scrape();
    for (let i = 0; i < 2; i++) {
      const run = await http('POST', `${server.url}/api/v1/runs`, { definition: { name: 'metrics-cached' }, input: { q: 'same' } });
      expect((await waitForRun(server.url, run.body.id)).status).toBe('completed');
    }
    const after = await waitFor(async () => {
      const current = await scrape();
      return current.value('orchestration_step_cache_hits_total') > before.value('orchestration_step_cache_hits_total') ? current : undefined;
    }, { what: 'the cache hit to be counted' });
    expect(after.value('orchestration_step_cache_hits_total') - before.value('orchestration_step_cache_hits_total')).toBe(1);
    expect(after.value('orchestration_step_cache_misses_total') - before.value('orchestration_step_cache_misses_total')).toBe(1);
  });

  it('shows queued and running steps while a run is in flight', async () => {
    const run = await startPlan(server.url, {
      orchestration: { execution: { concurrency: { maxParallel: 1 } } },
      steps: [
        { id: 'first', agent: 'builtin:delay', input: { ms: 30_000 } },
        { id: 'second', agent: 'builtin:delay', input: { ms: 30_000 } },
      ],
    });
    const busy = await waitFor(async () => {
      const current = await scrape();
      return current.value('orchestration_running_steps') === 1 && current.value('orchestration_queue_depth') === 1 ? current : undefined;
    }, { what: 'one running and one queued step' });
    expect(busy.value('orchestration_running_steps')).toBe(1);
    expect((await http('POST', `${server.url}/api/v1/runs/${run.id}/cancel`)).status).toBe(200);
    const idle = await waitFor(async () => {
      const current = await scrape();
      return current.value('orchestration_running_steps') === 0 && current.value('orchestration_queue_depth') === 0 ? current : undefined;
    }, { what: 'the gauges to drop back to 0' });
    expect(idle.value('orchestration_runs_total', { status: 'cancelled' })).toBe(1);
  });

  it('counts webhook deliveries from the baton.webhook.delivery event', async () => {
    const emitter = server.app.get(EventEmitter2);
    const before = await scrape();
    emitter.emit('baton.webhook.delivery', { outcome: 'delivered' });
    emitter.emit('baton.webhook.delivery', { outcome: 'failed' });
    emitter.emit('baton.webhook.delivery', { outcome: 'delivered' });
    emitter.emit('baton.webhook.delivery', { outcome: 'bogus' });
    const after = await scrape();
    const delta = (outcome: string) =>
      after.value('orchestration_webhook_deliveries_total', { outcome }) - before.value('orchestration_webhook_deliveries_total', { outcome });
    expect([delta('delivered'), delta('failed'), delta('dead'), delta('bogus')]).toEqual([2, 1, 0, 0]);
  });

  it('reads pending approvals from human_approvals when that table exists', async () => {
    const { rows } = await database.db.query<{ present: boolean }>(`select to_regclass('human_approvals') is not null as present`);
    const expected = rows[0]!.present
      ? (await database.db.query<{ n: number }>(`select count(*)::int as n from human_approvals where status = 'pending'`)).rows[0]!.n
      : 0;
    expect((await scrape()).value('orchestration_approvals_pending')).toBe(expected);
  });
});

describe('metrics registries', () => {
  it('keeps each app instance its own counts', async () => {
    const database = await createTestDatabase('pglite');
    const a = await startTestApp(database.db);
    const b = await startTestApp(database.db);
    try {
      a.app.get(EventEmitter2).emit('baton.webhook.delivery', { outcome: 'dead' });
      const textA = await (await fetch(`${a.url}/metrics`)).text();
      const textB = await (await fetch(`${b.url}/metrics`)).text();
      expect(new Scrape(textA).value('orchestration_webhook_deliveries_total', { outcome: 'dead' })).toBe(1);
      expect(new Scrape(textB).value('orchestration_webhook_deliveries_total', { outcome: 'dead' })).toBe(0);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
