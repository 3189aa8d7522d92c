import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { postJson, resetRuns, submitRuns, type BatonServer } from '../lib/baton.js';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { percentile, repeat, sleep } from '../lib/stats.js';
import { startInstances } from './throughput.js';

/**
 * Chaos (issue 12): runs of capability-routed steps over real loopback HTTP agents, of which
 * FLAKY answer 503 to 20 % of calls (a seeded PRNG per agent) and one is down (its port is
 * closed: connection refused). Every step has the same retry policy. Measured twice on fresh
 * agents: breakers on (the defaults, 5 consecutive failures, 30 s) and breakers effectively off
 * (`failure_threshold: 1000`, the registration maximum, far above the consecutive failures any
 * agent sees at the default scale; the "breakers opened" figure shows that none opened).
 * Figures: completed runs (%), run time (created → finished) p50/p99, calls (attempts) per
 * step, calls the down agent took and their share of all calls, breakers opened.
 */
const FLAKY = 3;
const FAILURE_RATE = 0.2;
const STEPS_PER_RUN = 3;
const AGENT_DELAY_MS = 5;
/** Five attempts: with the down agent out of rotation a step fails for good with p = 0.2^5. */
const RETRY = { max_attempts: 5, backoff: { initial_ms: 50, multiplier: 2, max_ms: 400 } };
/** The registration maximum: higher than any run of failures one agent sees at scale 1. */
const BREAKERS_OFF = { failure_threshold: 1000 };

/** mulberry32: a small seeded PRNG, so each agent's sequence of failures is the same every time. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ChaosAgent {
  url: string;
  calls: number;
  close(): Promise<void>;
}

/** A loopback agent answering 503 to `rate` of its calls, drawn from a PRNG seeded with `seed`. */
async function startFlakyAgent(seed: number, rate: number): Promise<ChaosAgent> {
  const random = prng(seed);
  const server: Server = createServer((request, response) => {
    agent.calls++;
    request.resume();
    request.on('end', () => {
      const fail = random() < rate;
      setTimeout(() => {
        response
          .writeHead(fail ? 503 : 200, { 'content-type': 'application/json' })
          .end(JSON.stringify(fail ? { error: 'chaos' } : { ok: true }));
      }, AGENT_DELAY_MS);
    });
  });
  const agent: ChaosAgent = { url: '', calls: 0, close: () => new Promise((resolve) => server.close(() => resolve())) };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  agent.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  return agent;
}

/** A URL nothing listens on: a port taken from the OS and given back, so calls are refused. */
async function downUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

type Mode = 'on' | 'off';

async function waitForTerminal(ctx: BenchContext, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows: r } = await ctx.database.observer.query<{ done: number }>(
      `select count(*)::int as done from orchestration_runs
        where id = any($1::uuid[]) and status = any(array['completed','failed','cancelled'])`,
      [ids],
    );
    if (r[0]!.done === ids.length) return;
    if (Date.now() > deadline) throw new Error(`chaos: only ${r[0]!.done} of ${ids.length} runs finished in ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** One measurement: fresh agents (no breaker history), `runs` runs, every one waited for. */
async function measureChaos(ctx: BenchContext, server: BatonServer, mode: Mode, runs: number): Promise<Record<string, number>> {
  const { observer } = ctx.database;
  await resetRuns(observer);
  const tag = randomUUID().slice(0, 8);
  const capability = `chaos-${tag}`;
  const flaky = await Promise.all(Array.from({ length: FLAKY }, (_, i) => startFlakyAgent(1000 + i, FAILURE_RATE)));
  try {
    const agents = [
      ...flaky.map((a, i) => ({ name: `chaos-${tag}-flaky-${i}`, url: a.url })),
      { name: `chaos-${tag}-down`, url: await downUrl() },
    ];
    for (const agent of agents) {
      await postJson(`${server.url}/api/v1/agents`, {
        kind: 'http', name: agent.name, url: agent.url, capabilities: [capability],
        ...(mode === 'off' ? { breaker: BREAKERS_OFF } : {}),
      });
    }
    const steps = Array.from({ length: STEPS_PER_RUN }, (_, i) => ({
      id: `s${i}`,
      capability,
      ...(i > 0 ? { depends_on: [`s${i - 1}`] } : {}),
    }));
    const plan = { orchestration: { error_handling: { on_step_failure: RETRY }, execution: { caching: { enabled: false } } }, steps };
    const ids = await submitRuns([server.url], Array.from({ length: runs }, () => plan));
    await waitForTerminal(ctx, ids, 10 * 60_000);

    const { rows: done } = await observer.query<{ status: string; ms: number; code: string | null }>(
      `select status, extract(epoch from finished_at - created_at) * 1000 as ms, error->>'code' as code
         from orchestration_runs where id = any($1::uuid[])`,
      [ids],
    );
    const { rows: calls } = await observer.query<{ served_by: string; n: number }>(
      `select data->>'servedBy' as served_by, count(*)::int as n from orchestration_events
        where run_id = any($1::uuid[]) and type = 'step.started' group by 1`,
      [ids],
    );
    const { rows: opened } = await observer.query<{ n: number }>(
      `select count(*)::int as n from agent_events where agent like $1::text and type = 'agent.breaker_opened'`,
      [`chaos-${tag}-%`],
    );
    const completed = done.filter((r) => r.status === 'completed').length;
    const failures = done.filter((r) => r.status !== 'completed').map((r) => r.code ?? r.status);
    if (failures.length) ctx.log(`    breakers ${mode}: ${failures.length} runs failed (${[...new Set(failures)].join(', ')})`);
    const times = done.map((r) => Number(r.ms));
    const downCalls = calls.find((c) => c.served_by === `chaos-${tag}-down`)?.n ?? 0;
    const allCalls = calls.reduce((sum, c) => sum + c.n, 0);
    return {
      'completed %': (100 * completed) / runs,
      'run p50 ms': percentile(times, 50),
      'run p99 ms': percentile(times, 99),
      'calls/step': allCalls / (runs * STEPS_PER_RUN),
      'calls to down agent': downCalls,
      'down agent share %': (100 * downCalls) / allCalls,
      'breakers opened': opened[0]!.n,
    };
  } finally {
    for (const agent of flaky) await agent.close();
  }
}

const UNITS = {
  'completed %': '%',
  'run p50 ms': 'ms',
  'run p99 ms': 'ms',
  'calls/step': 'calls',
  'calls to down agent': 'calls',
  'down agent share %': '%',
  'breakers opened': '',
};

export async function chaosScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const runs = scaled(100, ctx.scale, 10);
  const [instance] = await startInstances(ctx, 1);
  const result: ResultRow[] = [];
  try {
    for (const mode of ['on', 'off'] as Mode[]) {
      const label = `${runs} runs x ${STEPS_PER_RUN} steps, ${FLAKY} agents 20 % 5xx + 1 down, breakers ${mode === 'on' ? 'on (defaults)' : 'off (threshold 1000)'}`;
      ctx.log(`chaos: ${label}`);
      // The warm-up is a tenth of the runs, on its own fresh agents like every repetition.
      const figures = await repeat(ctx.reps, UNITS, (rep) => measureChaos(ctx, instance!, mode, rep < 0 ? Math.max(10, Math.round(runs / 10)) : runs));
      ctx.log(`  completed ${figures['completed %']!.samples.join(' / ')} %, p99 ${figures['run p99 ms']!.median.toFixed(0)} ms`);
      result.push(...rows('9 chaos', label, figures));
    }
  } finally {
    await instance!.close();
  }
  return result;
}
