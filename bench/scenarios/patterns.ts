import { resetRuns, submitRuns, waitForRuns } from '../lib/baton.js';
import { rows, type BenchContext, type ResultRow } from '../lib/context.js';
import { median, percentile, repeat } from '../lib/stats.js';
import { startInstances } from './throughput.js';

/**
 * A supervisor loop of no-op agents (issue 9): the supervisor (`builtin:script`) sends the
 * worker (`builtin:echo`) 100 times, then FINISH: 201 turns in one pattern step. Each turn is
 * two transactions (started, completed) around the call; the figure to compare is the chain's
 * "ms/step" (scenario 2), where each step is a claim and a completion.
 */
const DECISIONS = 100;

async function measureLoop(ctx: BenchContext, urls: string[]): Promise<Record<string, number>> {
  const { observer } = ctx.database;
  await resetRuns(observer);
  const items = [...Array.from({ length: DECISIONS }, () => ({ next: 'worker', input: { ok: true } })), { next: 'FINISH' }];
  const plan = {
    steps: [{
      id: 'loop', type: 'pattern', pattern: 'supervisor', max_turns: 2 * DECISIONS + 1,
      agents: [{ name: 'boss', agent: 'builtin:script', settings: { items } }, { name: 'worker', agent: 'builtin:echo' }],
    }],
  };
  const [id] = await submitRuns(urls, [plan]);
  await waitForRuns(observer, [id!], 10 * 60_000, 10);
  const { rows: turns } = await observer.query<{ started: number; finished: number }>(
    `select extract(epoch from started_at) * 1000 as started, extract(epoch from finished_at) * 1000 as finished
       from orchestration_pattern_turns where run_id = $1::uuid order by turn`,
    [id],
  );
  const { rows: steps } = await observer.query<{ ms: number; status: string }>(
    `select extract(epoch from finished_at - started_at) * 1000 as ms, status from orchestration_steps where run_id = $1::uuid`,
    [id],
  );
  if (steps[0]?.status !== 'completed' || turns.length !== 2 * DECISIONS + 1) throw new Error(`pattern loop ended ${steps[0]?.status} with ${turns.length} turns`);
  const gaps: number[] = [];
  for (let i = 1; i < turns.length; i++) gaps.push(Number(turns[i]!.started) - Number(turns[i - 1]!.finished));
  return {
    'turn hand-off p50 ms': median(gaps),
    'turn hand-off p99 ms': percentile(gaps, 99),
    'pattern ms/turn': Number(steps[0]!.ms) / turns.length,
  };
}

export async function patternsScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const [instance] = await startInstances(ctx, 1);
  try {
    ctx.log(`patterns: supervisor loop of ${2 * DECISIONS + 1} turns`);
    const figures = await repeat(
      ctx.reps,
      { 'turn hand-off p50 ms': 'ms', 'turn hand-off p99 ms': 'ms', 'pattern ms/turn': 'ms' },
      () => measureLoop(ctx, [instance!.url]),
    );
    ctx.log(`  ${figures['pattern ms/turn']!.median.toFixed(2)} ms/turn, turn hand-off p50 ${figures['turn hand-off p50 ms']!.median.toFixed(2)} ms`);
    return rows('2b patterns', `supervisor loop of ${2 * DECISIONS + 1} turns, 1 instance`, figures);
  } finally {
    await instance!.close();
  }
}
