import 'reflect-metadata';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBenchDatabase } from './lib/bench-db.js';
import type { BenchContext, ResultRow } from './lib/context.js';
import { graphileConfig, issue17Goals, renderGoals } from './lib/goals.js';
import { machineFacts, renderTable, writeResults } from './lib/report.js';
import { busScenario } from './scenarios/bus.js';
import { chaosScenario } from './scenarios/chaos.js';
import { coordinationScenario } from './scenarios/coordination.js';
import { dbosScenario } from './scenarios/dbos.js';
import { definitionsScenario } from './scenarios/definitions.js';
import { graphileScenario } from './scenarios/graphile.js';
import { memoryScenario } from './scenarios/memory.js';
import { patternsScenario } from './scenarios/patterns.js';
import { planningScenario } from './scenarios/planning.js';
import { policyScenario } from './scenarios/policy.js';
import { roundTripsScenario } from './scenarios/round-trips.js';
import { stateQueriesScenario } from './scenarios/state-queries.js';
import { streamingScenario } from './scenarios/streaming.js';
import { throughputInProcessScenario, throughputScenario } from './scenarios/throughput.js';

/**
 * `npm run bench [-- --scale 0.1 --reps 3 --only throughput,graphile --pglite]`
 * Environment: BENCH_DATABASE_URL, BENCH_SCALE, BENCH_REPS, BENCH_CONCURRENCY, BENCH_POOL_SIZE,
 * BENCH_GW_CONCURRENCY, BENCH_LOGS, BENCH_CHILD_NODE_ARGS. See docs/performance.md.
 */
const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ResultRow[]>> = {
  planning: planningScenario,
  coordination: coordinationScenario,
  patterns: patternsScenario,
  throughput: throughputScenario,
  'throughput-inprocess': throughputInProcessScenario,
  graphile: graphileScenario,
  dbos: dbosScenario,
  'round-trips': roundTripsScenario,
  'state-queries': stateQueriesScenario,
  streaming: streamingScenario,
  memory: memoryScenario,
  bus: busScenario,
  chaos: chaosScenario,
  policy: policyScenario,
  definitions: definitionsScenario,
};

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  if (at >= 0) return args[at + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const scale = Number(option(args, 'scale') ?? process.env.BENCH_SCALE ?? 1);
  const reps = Number(option(args, 'reps') ?? process.env.BENCH_REPS ?? 3);
  const only = (option(args, 'only') ?? Object.keys(SCENARIOS).join(',')).split(',');
  const pglite = args.includes('--pglite');
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 100);
  const poolSize = Number(process.env.BENCH_POOL_SIZE ?? 10);
  if (!(scale > 0) || !(reps >= 1)) throw new Error('--scale must be > 0 and --reps >= 1');
  for (const name of only) if (!SCENARIOS[name]) throw new Error(`unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}`);

  const loadBefore = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const started = Date.now();
  const log = (message: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}`);
  const database = await openBenchDatabase({ pglite, url: process.env.BENCH_DATABASE_URL, poolSize });
  log(`database ${database.name ?? 'pglite (in memory)'} on ${database.serverVersion}; scale ${scale}, ${reps} reps after a warm-up, concurrency ${concurrency}, pool ${poolSize}`);
  const ctx: BenchContext = { database, baton: { concurrency, poolSize }, reps, scale, log };
  const results: ResultRow[] = [];
  try {
    for (const name of only) results.push(...(await SCENARIOS[name]!(ctx)));
  } finally {
    await database.drop();
  }
  const ratios = [...throughputRatios(results), ...dbosRatios(results)];
  results.push(...ratios);
  const machine = machineFacts(database.serverVersion);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\nBaton bench, scale ${scale}, ${reps} reps, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.database}, commit ${machine.gitCommit.slice(0, 7)}${machine.gitDirty ? '+dirty' : ''}`);
  // The machine may be shared: the load average says how much else ran (1, 5, 15 minutes).
  console.log(`load average before ${loadBefore.join(' ')}, after ${machine.loadAverage.join(' ')}; ${seconds} s\n`);
  console.log(renderTable(results));
  const goals = issue17Goals(results);
  if (goals.length > 0) console.log(`\n${renderGoals(goals)}`);
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results.json');
  writeResults(file, {
    date: new Date().toISOString(),
    options: { scale, reps, concurrency, poolSize, database: database.kind, scenarios: only },
    machine: { ...machine, loadAverageBefore: loadBefore },
    seconds,
    results,
    goals,
  });
  console.log(`\nwrote ${file}`);
}

/** One figure over another, as a ratio row; the spread pairs the extremes (worst a over best b and back). */
function ratio(scenario: string, caseName: string, metric: string, a: ResultRow, b: ResultRow): ResultRow {
  return {
    scenario,
    case: caseName,
    metric,
    figure: {
      median: a.figure.median / b.figure.median,
      min: a.figure.min / b.figure.max,
      max: a.figure.max / b.figure.min,
      samples: [],
      unit: 'x',
    },
  };
}

/** Baton's throughput over graphile-worker's (1 worker process) for each throughput case and each peer configuration. */
function throughputRatios(results: ResultRow[]): ResultRow[] {
  const peers = results.filter((r) => r.scenario === '7 graphile-worker' && r.metric === 'jobs/s');
  const cases = results.filter((r) => r.scenario === '1 throughput' && r.metric === 'steps/s');
  return peers.flatMap((peer) =>
    cases.map((r) => ratio('7 ratio', `Baton ${r.case} / graphile-worker, ${graphileConfig(peer.case)}`, 'throughput ratio', r, peer)),
  );
}

/**
 * Baton against DBOS Transact: the chain's per-step time (DBOS ÷ Baton, so above 1 means Baton
 * is faster) and each throughput case's steps/s over DBOS's 100 workflows × 100 steps.
 */
function dbosRatios(results: ResultRow[]): ResultRow[] {
  const out: ResultRow[] = [];
  const dbosChain = results.find((r) => r.scenario === '8 DBOS' && r.metric === 'chain ms/step');
  const batonChain = results.find((r) => r.scenario === '2 coordination' && r.metric === 'chain ms/step');
  if (dbosChain && batonChain) out.push(ratio('8 ratio', 'chain ms/step: DBOS / Baton (goal >= 1)', 'ratio', dbosChain, batonChain));
  const dbosFan = results.find((r) => r.scenario === '8 DBOS' && r.metric === 'steps/s');
  if (dbosFan) {
    for (const r of results.filter((x) => x.scenario === '1 throughput' && x.metric === 'steps/s')) {
      out.push(ratio('8 ratio', `Baton ${r.case} / DBOS (goal >= 2)`, 'ratio', r, dbosFan));
    }
  }
  return out;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
