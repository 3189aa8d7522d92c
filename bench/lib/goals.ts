import type { ResultRow } from './context.js';

/**
 * Issue 17's speed goals, read off one bench invocation: each names its figures, the target,
 * and whether the medians met it. A goal whose scenarios did not run is left out, never
 * guessed. The machine's load average is printed beside them: on a shared machine a miss may
 * say more about the neighbours than about Baton.
 */
export interface GoalLine {
  goal: string;
  measured: string;
  met: boolean;
}

type Find = (scenario: string, metric: string, caseName?: string | RegExp) => ResultRow | undefined;

function finder(results: ResultRow[]): Find {
  return (scenario, metric, caseName) =>
    results.find((r) => r.scenario === scenario && r.metric === metric
      && (caseName === undefined || (typeof caseName === 'string' ? r.case === caseName : caseName.test(r.case))));
}

const f = (n: number, digits = 2) => n.toFixed(digits);

export function issue17Goals(results: ResultRow[]): GoalLine[] {
  const find = finder(results);
  const lines: GoalLine[] = [];
  const chain = find('2 coordination', 'chain ms/step', /^chain of \d+, 1 instance$/);
  const dbosChain = find('8 DBOS', 'chain ms/step');
  if (chain && dbosChain) {
    const [b, d] = [chain.figure.median, dbosChain.figure.median];
    lines.push({ goal: 'chain per-step time <= DBOS', measured: `Baton ${f(b)} ms, DBOS ${f(d)} ms`, met: b <= d });
  }
  // The hop a chain step costs, start to start (the transition gap alone is 0 since the
  // successor is claimed in the completing transaction, which would meet the goal vacuously).
  const hop = (caseName: RegExp) => find('2 coordination', 'step interval p99 ms', caseName) ?? find('2 coordination', 'hand-off p99 ms', caseName);
  const quiet = hop(/^chain of \d+, 1 instance$/);
  if (quiet) lines.push({ goal: `hand-off p99 < 10 ms (no background; ${quiet.metric})`, measured: `${f(quiet.figure.median)} ms`, met: quiet.figure.median < 10 });
  const loaded = hop(/background load/);
  if (loaded) lines.push({ goal: `hand-off p99 < 25 ms (background load; ${loaded.metric})`, measured: `${f(loaded.figure.median)} ms`, met: loaded.figure.median < 25 });
  const fanOut = results.filter((r) => r.scenario === '1 throughput' && r.metric === 'steps/s');
  // The goal is stated against graphile-worker's default configuration; the case at Baton's
  // concurrency is printed beside it.
  const graphiles = results.filter((r) => r.scenario === '7 graphile-worker' && r.metric === 'jobs/s');
  const dbosFan = find('8 DBOS', 'steps/s');
  for (const row of fanOut) {
    for (const graphile of graphiles) {
      const x = row.figure.median / graphile.figure.median;
      lines.push({ goal: `fan-out ${row.case} >= 2x graphile-worker, ${graphileConfig(graphile.case)}`, measured: `${f(x)}x (${f(row.figure.median, 0)} vs ${f(graphile.figure.median, 0)} /s)`, met: x >= 2 });
    }
    if (dbosFan) {
      const x = row.figure.median / dbosFan.figure.median;
      lines.push({ goal: `fan-out ${row.case} >= 2x DBOS`, measured: `${f(x)}x (${f(row.figure.median, 0)} vs ${f(dbosFan.figure.median, 0)} /s)`, met: x >= 2 });
    }
  }
  // A second instance adds throughput: each 2-instance case against the same case on one.
  for (const two of fanOut.filter((r) => /2 instances?/.test(r.case))) {
    const one = fanOut.find((r) => r.case === two.case.replace(/2 instances?/, '1 instance'));
    if (!one) continue;
    const x = two.figure.median / one.figure.median;
    lines.push({ goal: `second instance adds throughput (${one.case.replace(/,? ?1 instance/, '')})`, measured: `${f(x)}x of one instance`, met: x > 1 });
  }
  const post = find('definitions', 'ms per POST', /^POST 10,?000 steps$/);
  const networkx = find('definitions', 'build+sort ms', /^NetworkX 10,?000 steps$/);
  if (post && networkx) {
    const [b, n] = [post.figure.median, networkx.figure.median];
    lines.push({ goal: '10,000-step definition stored over HTTP <= NetworkX build+sort', measured: `Baton ${f(b, 1)} ms, NetworkX ${f(n, 1)} ms`, met: b <= n });
  }
  return lines;
}

/** A graphile-worker case's configuration, e.g. "concurrency 10 (its default)", for labels. */
export function graphileConfig(caseName: string): string {
  return caseName.match(/concurrency \d+( \(its default\))?/)?.[0] ?? caseName;
}

export function renderGoals(lines: GoalLine[]): string {
  if (lines.length === 0) return '';
  const width = Math.max(...lines.map((l) => l.goal.length));
  return ['Issue 17 goals (medians of this invocation):', ...lines.map((l) => `  ${l.met ? 'met    ' : 'NOT met'}  ${l.goal.padEnd(width)}  ${l.measured}`)].join('\n');
}
