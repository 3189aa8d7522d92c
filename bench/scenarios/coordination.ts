import { chainSteps, echoPlan, independentSteps, resetRuns, submitRuns, waitForRuns } from '../lib/baton.js';
import { rows, type BenchContext, type ResultRow } from '../lib/context.js';
import { median, percentile, repeat } from '../lib/stats.js';
import { startInstances } from './throughput.js';

/**
 * Scenario 2: a chain of 200 dependent no-op steps on one instance. The overhead of one hand-off
 * is `dependent.started_at - predecessor.finished_at`, both written by Postgres (now() of the
 * transitions), so the harness's own polling does not enter it.
 */
const CHAIN = 200;

/**
 * The loaded case's background (issue 17: "under 25 ms with the bench's background load"):
 * independent echo runs, two steps at a time each, submitted with the chain. 20 steps in
 * flight is far under the global slot limit, so the chain competes for CPU, the pool and the
 * database, never for a slot; the background outlasts the chain and is waited for after.
 */
const BACKGROUND_RUNS = 10;
const BACKGROUND_STEPS = 400;
const BACKGROUND_PARALLEL = 2;

interface StepTimes {
  position: number;
  queued: number;
  started: number;
  finished: number;
}

async function measureChain(ctx: BenchContext, urls: string[], loaded = false): Promise<Record<string, number>> {
  const { observer } = ctx.database;
  await resetRuns(observer);
  const background = loaded
    ? await submitRuns(urls, Array.from({ length: BACKGROUND_RUNS }, () => echoPlan(independentSteps(BACKGROUND_STEPS), BACKGROUND_PARALLEL)))
    : [];
  const [id] = await submitRuns(urls, [echoPlan(chainSteps(CHAIN), 1)]);
  await waitForRuns(observer, [id!], 10 * 60_000, 10);
  if (background.length > 0) {
    await waitForRuns(observer, background, 10 * 60_000, 50);
    // How fast the background went beside the chain: a faster background takes more of the machine.
    const { rows } = await observer.query<{ s: number; chain_s: number }>(
      `select extract(epoch from max(finished_at) filter (where id = any($1::uuid[])) - min(created_at) filter (where id = any($1::uuid[]))) as s,
              extract(epoch from max(finished_at) filter (where id = $2::uuid) - min(created_at) filter (where id = $2::uuid)) as chain_s
         from orchestration_runs where id = any($1::uuid[]) or id = $2::uuid`,
      [background, id],
    );
    const steps = BACKGROUND_RUNS * BACKGROUND_STEPS;
    ctx.log(`  background: ${steps} steps in ${Number(rows[0]!.s).toFixed(2)} s (${(steps / Number(rows[0]!.s)).toFixed(0)} steps/s) beside the chain's ${Number(rows[0]!.chain_s).toFixed(2)} s`);
  }
  const { rows: steps } = await observer.query<StepTimes>(
    `select position,
            extract(epoch from queued_at) * 1000 as queued,
            extract(epoch from started_at) * 1000 as started,
            extract(epoch from finished_at) * 1000 as finished
       from orchestration_steps where run_id = $1::uuid order by position`,
    [id],
  );
  const { rows: runs } = await observer.query<{ ms: number }>(
    `select extract(epoch from finished_at - created_at) * 1000 as ms from orchestration_runs where id = $1::uuid`,
    [id],
  );
  const handoffs: number[] = [];
  const queueWaits: number[] = [];
  const intervals: number[] = [];
  for (let i = 1; i < steps.length; i++) {
    handoffs.push(Number(steps[i]!.started) - Number(steps[i - 1]!.finished));
    queueWaits.push(Number(steps[i]!.started) - Number(steps[i]!.queued));
    intervals.push(Number(steps[i]!.started) - Number(steps[i - 1]!.started));
  }
  // The slowest hop, split: its predecessor's own run, the wait of the step once queued.
  const worst = intervals.indexOf(Math.max(...intervals)) + 1;
  if (worst > 0) {
    const [before, step] = [steps[worst - 1]!, steps[worst]!];
    ctx.log(
      `  slowest hop: step ${worst}, ${intervals[worst - 1]!.toFixed(1)} ms start to start: predecessor ran ${(Number(before.finished) - Number(before.started)).toFixed(1)} ms, ` +
        `queued ${(Number(step.queued) - Number(before.finished)).toFixed(1)} ms after it finished, started ${(Number(step.started) - Number(step.queued)).toFixed(1)} ms after queued`,
    );
  }
  return {
    'hand-off p50 ms': median(handoffs),
    'hand-off p99 ms': percentile(handoffs, 99),
    // Since the successor is claimed in the completing transaction (issue 17), the hand-off
    // above reads 0 by construction; start-to-start also counts the no-op step's own run and
    // its completion, the whole hop a step costs.
    'step interval p50 ms': median(intervals),
    'step interval p99 ms': percentile(intervals, 99),
    'queued->started p50 ms': median(queueWaits),
    'chain ms/step': Number(runs[0]!.ms) / CHAIN,
  };
}

/** Runs of one step, one after another, for a run's time to its first step. */
const STARTS = 40;

/**
 * A run's first step (issue 17): from the run's creation to its first step's start, both
 * written by Postgres, for runs of one echo step submitted one at a time on a quiet
 * instance (each waits for the one before to end). A run's first steps are claimed by a
 * hand-off of their own (`StepLeaseService.startRuns`), no claim round between.
 */
async function measureStarts(ctx: BenchContext, url: string): Promise<Record<string, number>> {
  const { observer } = ctx.database;
  await resetRuns(observer);
  const ids: string[] = [];
  for (let i = 0; i < STARTS; i++) {
    const [id] = await submitRuns([url], [echoPlan(chainSteps(1), 1)]);
    await waitForRuns(observer, [id!], 60_000, 5);
    ids.push(id!);
  }
  const { rows } = await observer.query<{ start_ms: number; run_ms: number }>(
    `select extract(epoch from s.started_at - r.created_at) * 1000 as start_ms,
            extract(epoch from r.finished_at - r.created_at) * 1000 as run_ms
       from orchestration_runs r join orchestration_steps s on s.run_id = r.id
      where r.id = any($1::uuid[])`,
    [ids],
  );
  const starts = rows.map((row) => Number(row.start_ms));
  const whole = rows.map((row) => Number(row.run_ms));
  return {
    'created->first step p50 ms': median(starts),
    'created->first step p99 ms': percentile(starts, 99),
    'one-step run p50 ms': median(whole),
  };
}

export async function coordinationScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const [instance] = await startInstances(ctx, 1);
  try {
    ctx.log(`coordination: chain of ${CHAIN}`);
    const figures = await repeat(
      ctx.reps,
      { 'hand-off p50 ms': 'ms', 'hand-off p99 ms': 'ms', 'step interval p50 ms': 'ms', 'step interval p99 ms': 'ms', 'queued->started p50 ms': 'ms', 'chain ms/step': 'ms' },
      () => measureChain(ctx, [instance!.url]),
    );
    ctx.log(`  hand-off p50 ${figures['hand-off p50 ms']!.median.toFixed(2)} ms, p99 ${figures['hand-off p99 ms']!.median.toFixed(2)} ms`);
    ctx.log(`coordination: chain of ${CHAIN} beside ${BACKGROUND_RUNS} runs of ${BACKGROUND_STEPS} echo steps, ${BACKGROUND_PARALLEL} at a time each`);
    const loaded = await repeat(
      ctx.reps,
      { 'hand-off p50 ms': 'ms', 'hand-off p99 ms': 'ms', 'step interval p50 ms': 'ms', 'step interval p99 ms': 'ms', 'queued->started p50 ms': 'ms', 'chain ms/step': 'ms' },
      () => measureChain(ctx, [instance!.url], true),
    );
    ctx.log(`  loaded: hand-off p50 ${loaded['hand-off p50 ms']!.median.toFixed(2)} ms, p99 ${loaded['hand-off p99 ms']!.median.toFixed(2)} ms`);
    ctx.log(`coordination: ${STARTS} runs of one step, one at a time`);
    const starts = await repeat(
      ctx.reps,
      { 'created->first step p50 ms': 'ms', 'created->first step p99 ms': 'ms', 'one-step run p50 ms': 'ms' },
      () => measureStarts(ctx, instance!.url),
    );
    ctx.log(`  created->first step p50 ${starts['created->first step p50 ms']!.median.toFixed(2)} ms`);
    return [
      ...rows('2 coordination', `chain of ${CHAIN}, 1 instance`, figures),
      ...rows('2 coordination', `chain of ${CHAIN} under background load, 1 instance`, loaded),
      ...rows('2 coordination', `${STARTS} one-step runs, one at a time, 1 instance`, starts),
    ];
  } finally {
    await instance!.close();
  }
}
