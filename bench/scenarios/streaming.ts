import { echoPlan, independentSteps, postJson, resetRuns, waitForRuns } from '../lib/baton.js';
import { startBatonProcess, type BatonProcess } from '../lib/child.js';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { lagFigures, openSseCounter, type SseCounter } from '../lib/sse.js';
import { repeat, sleep } from '../lib/stats.js';

/**
 * Scenario 4: events from the log to 100 concurrent SSE clients while runs of 100 no-op steps
 * execute on one Baton child process. The clients live in the bench process, so their parsing
 * does not compete with Baton's event loop (it still competes for the 2 CPUs; the clients' CPU
 * share is reported).
 * - global: 100 clients on `GET /api/v1/events`, connected before the first submit; every
 *   client receives every event (100x fan-out). Done when every client has all the log's events.
 * - per run: one client per run on `GET /api/v1/runs/:id/events`, opened right after that run's
 *   POST (history, then live); done when every stream has ended after its run's terminal event.
 *   Only events created after a client's stream opened count for the lag.
 * Figures: events the clients received per second (summed over clients) from the first submit
 * to the last frame; per-client rate; lag p50/p99/max (`received - createdAt`); steps per
 * second of the same runs (to compare with the throughput scenario, which streams to nobody);
 * CPU of Baton and of the clients' process as a percentage of one core.
 */
const CLIENTS = 100;

interface Sample {
  clients: SseCounter[];
  logEvents: number;
  startedAt: number;
  runsDoneAt: number;
  steps: number;
  cpu: { baton: number; harness: NodeJS.CpuUsage };
  baton: BatonProcess;
  /** Transactions Postgres committed in the bench database during the sample. */
  xacts: number;
}

function figures(s: Sample, expectedPerClient: (c: SseCounter, i: number) => number): Record<string, number> {
  const received = s.clients.reduce((sum, c) => sum + c.received, 0);
  s.clients.forEach((c, i) => {
    if (c.received !== expectedPerClient(c, i)) throw new Error(`SSE client ${i} received ${c.received} events, expected ${expectedPerClient(c, i)}`);
  });
  const lastAt = Math.max(...s.clients.map((c) => c.lastAt));
  const seconds = (lastAt - s.startedAt) / 1000;
  const lags = lagFigures(s.clients.flatMap((c) => c.lags));
  const harness = process.cpuUsage(s.cpu.harness);
  return {
    'events in log': s.logEvents,
    'delivered events/s': received / seconds,
    'per-client events/s': received / s.clients.length / seconds,
    'lag p50 ms': lags.p50,
    'lag p99 ms': lags.p99,
    'lag max ms': lags.max,
    'steps/s': s.steps / ((s.runsDoneAt - s.startedAt) / 1000),
    'last frame after runs done ms': lastAt - s.runsDoneAt,
    'Postgres xacts/s': s.xacts / seconds,
    'Baton CPU %': ((s.baton.cpuSeconds() - s.cpu.baton) / seconds) * 100,
    'clients CPU %': ((harness.user + harness.system) / 1e6 / seconds) * 100,
  };
}

async function countEvents(ctx: BenchContext): Promise<Map<string, number>> {
  const { rows: counts } = await ctx.database.observer.query<{ run_id: string; n: number }>(
    'select run_id::text as run_id, count(*)::int as n from orchestration_events group by run_id',
  );
  return new Map(counts.map((r) => [r.run_id, r.n]));
}

/**
 * Committed transactions in the bench database so far (each autocommit statement is one).
 * Postgres 15 publishes a backend's counts at most once a second, so callers wait 1.1 s first.
 */
async function xactsSoFar(ctx: BenchContext): Promise<number> {
  await sleep(1100);
  const { rows: r } = await ctx.database.observer.query<{ n: string }>(
    'select xact_commit::text as n from pg_stat_database where datname = current_database()',
  );
  return Number(r[0]!.n);
}

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function measureGlobal(ctx: BenchContext, baton: BatonProcess, runs: number): Promise<Record<string, number>> {
  await resetRuns(ctx.database.observer);
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openSseCounter(`${baton.url}/api/v1/events`)));
  try {
    const xacts0 = await xactsSoFar(ctx);
    const cpu = { baton: baton.cpuSeconds(), harness: process.cpuUsage() };
    const startedAt = Date.now();
    const ids: string[] = [];
    let next = 0;
    const plan = echoPlan(independentSteps(100), ctx.baton.concurrency);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < runs) {
          next++;
          ids.push((await postJson<{ id: string }>(`${baton.url}/api/v1/runs`, { plan, input: {} })).id);
        }
      }),
    );
    await waitForRuns(ctx.database.observer, ids, 30 * 60_000);
    const runsDoneAt = Date.now();
    const logEvents = [...(await countEvents(ctx)).values()].reduce((a, b) => a + b, 0);
    await until('every global client to receive the whole log', () => clients.every((c) => c.received >= logEvents), 120_000);
    const xacts = (await xactsSoFar(ctx)) - xacts0 - 1;
    const live = figures({ clients, logEvents, startedAt, runsDoneAt, steps: runs * 100, cpu, baton, xacts }, () => logEvents);
    for (const client of clients) client.close();
    // Replay: the same number of clients read the finished log from the start. Nothing else
    // runs, so this is what the read path alone delivers (no lag: the events are history).
    const replayStarted = Date.now();
    const replayCpu = { baton: baton.cpuSeconds(), harness: process.cpuUsage() };
    const readers = await Promise.all(Array.from({ length: CLIENTS }, () => openSseCounter(`${baton.url}/api/v1/events`)));
    try {
      await until('every replaying client to receive the whole log', () => readers.every((c) => c.received >= logEvents), 120_000);
      const seconds = (Math.max(...readers.map((c) => c.lastAt)) - replayStarted) / 1000;
      const harness = process.cpuUsage(replayCpu.harness);
      return {
        ...live,
        'replay delivered events/s': (logEvents * CLIENTS) / seconds,
        'replay Baton CPU %': ((baton.cpuSeconds() - replayCpu.baton) / seconds) * 100,
        'replay clients CPU %': ((harness.user + harness.system) / 1e6 / seconds) * 100,
      };
    } finally {
      for (const reader of readers) reader.close();
    }
  } finally {
    for (const client of clients) client.close();
  }
}

async function measurePerRun(ctx: BenchContext, baton: BatonProcess, runs: number): Promise<Record<string, number>> {
  await resetRuns(ctx.database.observer);
  const clients: SseCounter[] = [];
  const clientRun: string[] = [];
  try {
    const xacts0 = await xactsSoFar(ctx);
    const cpu = { baton: baton.cpuSeconds(), harness: process.cpuUsage() };
    const startedAt = Date.now();
    let next = 0;
    const plan = echoPlan(independentSteps(100), ctx.baton.concurrency);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < runs) {
          next++;
          const { id } = await postJson<{ id: string }>(`${baton.url}/api/v1/runs`, { plan, input: {} });
          const client = await openSseCounter(`${baton.url}/api/v1/runs/${id}/events`);
          clients.push(client);
          clientRun.push(id);
        }
      }),
    );
    await waitForRuns(ctx.database.observer, clientRun, 30 * 60_000);
    const runsDoneAt = Date.now();
    const perRun = await countEvents(ctx);
    const logEvents = [...perRun.values()].reduce((a, b) => a + b, 0);
    await Promise.race([
      Promise.all(clients.map((c) => c.ended)),
      sleep(120_000).then(() => {
        throw new Error('per-run streams did not end within 120 s of their runs');
      }),
    ]);
    const xacts = (await xactsSoFar(ctx)) - xacts0 - 1;
    return figures({ clients, logEvents, startedAt, runsDoneAt, steps: runs * 100, cpu, baton, xacts }, (_, i) => perRun.get(clientRun[i]!) ?? -1);
  } finally {
    for (const client of clients) client.close();
  }
}

const UNITS = {
  'events in log': 'events',
  'delivered events/s': 'events/s',
  'per-client events/s': 'events/s',
  'lag p50 ms': 'ms',
  'lag p99 ms': 'ms',
  'lag max ms': 'ms',
  'steps/s': 'steps/s',
  'last frame after runs done ms': 'ms',
  'Postgres xacts/s': 'xact/s',
  'Baton CPU %': '%',
  'clients CPU %': '%',
};
const REPLAY = ['replay delivered events/s', 'replay Baton CPU %', 'replay clients CPU %'];

export async function streamingScenario(ctx: BenchContext): Promise<ResultRow[]> {
  if (ctx.database.kind !== 'postgres') {
    ctx.log('streaming: skipped (needs Postgres for a child-process Baton)');
    return [];
  }
  const runs = scaled(100, ctx.scale, 2);
  const warm = Math.max(2, Math.round(runs / 10));
  const baton = await startBatonProcess(ctx.database.url!, ctx.baton, 'bench-sse');
  try {
    ctx.log(`streaming: ${CLIENTS} clients on /api/v1/events while ${runs} runs x 100 steps execute`);
    const global = await repeat(
      ctx.reps,
      { ...UNITS, 'replay delivered events/s': 'events/s', 'replay Baton CPU %': '%', 'replay clients CPU %': '%' },
      (rep) => measureGlobal(ctx, baton, rep < 0 ? warm : runs),
    );
    const replay = Object.fromEntries(REPLAY.map((k) => [k.slice('replay '.length), global[k]!]));
    for (const k of REPLAY) delete global[k];
    ctx.log(`  ${global['delivered events/s']!.median.toFixed(0)} events/s delivered, lag p99 ${global['lag p99 ms']!.median.toFixed(0)} ms`);
    ctx.log(`streaming: ${runs} clients, one per run, on /api/v1/runs/:id/events`);
    const perRun = await repeat(ctx.reps, UNITS, (rep) => measurePerRun(ctx, baton, rep < 0 ? warm : runs));
    ctx.log(`  ${perRun['delivered events/s']!.median.toFixed(0)} events/s delivered, lag p99 ${perRun['lag p99 ms']!.median.toFixed(0)} ms`);
    return [
      ...rows('4 streaming', `${CLIENTS} clients on /events, ${runs}x100 steps`, global),
      ...rows('4 streaming', `${CLIENTS} clients replaying /events (history)`, replay),
      ...rows('4 streaming', `${runs} clients, 1 per run stream, ${runs}x100 steps`, perRun),
    ];
  } finally {
    await baton.close();
  }
}
