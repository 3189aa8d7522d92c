import type { ResultRow } from './context.js';
import { issue17Goals, renderGoals } from './goals.js';

const row = (scenario: string, caseName: string, metric: string, median: number): ResultRow => ({
  scenario, case: caseName, metric, figure: { median, min: median, max: median, samples: [], unit: '' },
});

describe('issue 17 goals in the bench output', () => {
  it('judges each goal from the medians of the scenarios that ran', () => {
    const lines = issue17Goals([
      row('2 coordination', 'chain of 200, 1 instance', 'chain ms/step', 3),
      row('2 coordination', 'chain of 200, 1 instance', 'hand-off p99 ms', 0),
      row('2 coordination', 'chain of 200, 1 instance', 'step interval p99 ms', 9.5),
      row('2 coordination', 'chain of 200 under background load, 1 instance', 'hand-off p99 ms', 30),
      row('2 coordination', 'chain of 200 under background load, 1 instance', 'chain ms/step', 1), // not the quiet chain
      row('8 DBOS', 'chain of 200', 'chain ms/step', 2.7),
      row('8 DBOS', '100 × 100', 'steps/s', 1000),
      row('7 graphile-worker', '10000 jobs, 1 worker, concurrency 10 (its default)', 'jobs/s', 1000),
      row('7 graphile-worker', '10000 jobs, 1 worker, concurrency 100', 'jobs/s', 500),
      row('1 throughput', '100 runs × 100 steps, 1 instance', 'steps/s', 1500),
      row('1 throughput', '100 runs × 100 steps, 2 instances', 'steps/s', 1400),
      row('definitions', 'POST 10000 steps', 'ms per POST', 50),
      row('definitions', 'NetworkX 10000 steps', 'build+sort ms', 58),
    ]);
    expect(lines.map((l) => [l.goal, l.met])).toEqual([
      ['chain per-step time <= DBOS', false],
      ['hand-off p99 < 10 ms (no background; step interval p99 ms)', true],
      ['hand-off p99 < 25 ms (background load; hand-off p99 ms)', false],
      ['fan-out 100 runs × 100 steps, 1 instance >= 2x graphile-worker, concurrency 10 (its default)', false],
      ['fan-out 100 runs × 100 steps, 1 instance >= 2x graphile-worker, concurrency 100', true],
      ['fan-out 100 runs × 100 steps, 1 instance >= 2x DBOS', false],
      ['fan-out 100 runs × 100 steps, 2 instances >= 2x graphile-worker, concurrency 10 (its default)', false],
      ['fan-out 100 runs × 100 steps, 2 instances >= 2x graphile-worker, concurrency 100', true],
      ['fan-out 100 runs × 100 steps, 2 instances >= 2x DBOS', false],
      ['second instance adds throughput (100 runs × 100 steps)', false],
      ['10,000-step definition stored over HTTP <= NetworkX build+sort', true],
    ]);
    expect(renderGoals(lines)).toContain('NOT met  chain per-step time <= DBOS');
  });

  it('leaves out a goal whose scenarios did not run', () => {
    expect(issue17Goals([row('2 coordination', 'chain of 200, 1 instance', 'chain ms/step', 3)])).toEqual([]);
    expect(renderGoals([])).toBe('');
  });
});
