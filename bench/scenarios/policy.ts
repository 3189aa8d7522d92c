import { PolicyEngine, defaultPolicyText, type PolicyRequest } from '@baton/policy';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { percentile, repeat } from '../lib/stats.js';

/**
 * Policy evaluation (issue 13: "adds under 1 ms at p99"): one Cedar decision in process over
 * the preparsed default set, for the two requests Baton makes most — the HTTP guard's route
 * check and the step dispatcher's `step.dispatch` (an agent with capabilities, a definition
 * with attributes, a step context). No database. Each repetition times `DECISIONS` calls one
 * by one and reports their p50 and p99, and the CPU time per decision; each request once
 * evaluated by Cedar every time and once as Baton asks it, answered by the decision cache.
 */
const DECISIONS = 20_000;

const ROUTE: PolicyRequest = {
  principal: { type: 'Token', id: 'tok-1', name: 'ci', role: 'agent', owner: '' },
  action: 'run.create',
  resource: { type: 'Route', id: 'POST /api/v1/runs' },
  context: { method: 'POST', path: '/api/v1/runs' },
};

const DISPATCH: PolicyRequest = {
  principal: { type: 'Agent', id: 'clerk', name: 'clerk', role: 'agent', owner: '', capabilities: ['paperwork', 'billing'] },
  action: 'step.dispatch',
  resource: { type: 'Definition', id: 'billing@1', attrs: { name: 'billing', version: '1', owner: 'acme' } },
  context: { runId: 'r-1', stepId: 'draft', stepType: 'agent', capability: '', runOwner: 'acme' },
};

/**
 * Wall-clock p50/p99 per decision, and the process's CPU time per decision (mean): on a
 * shared machine the wall-clock tail is mostly time spent waiting for a core, the CPU figure
 * is what a decision itself costs.
 */
function measure(engine: PolicyEngine, request: (i: number) => PolicyRequest, count: number): Record<string, number> {
  const samples = new Array<number>(count);
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < count; i += 1) {
    const asked = request(i);
    const start = process.hrtime.bigint();
    engine.decide(asked);
    samples[i] = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    'p50 ms': percentile(samples, 50),
    'p99 ms': percentile(samples, 99),
    'cpu ms/decision': (cpu.user + cpu.system) / 1000 / count,
  };
}

export async function policyScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const engine = new PolicyEngine();
  engine.load('default', defaultPolicyText());
  const count = scaled(DECISIONS, ctx.scale, 1_000);
  const result: ResultRow[] = [];
  // Each twice: a new caller every time (every decision evaluated by Cedar), and as Baton
  // asks in a run (the route check by one token; step.dispatch for a new run and step each
  // time, which the default set does not read, so the decision cache answers).
  const cases: Array<[string, (i: number) => PolicyRequest]> = [
    ['route check, evaluated', (i) => ({ ...ROUTE, principal: { ...ROUTE.principal, id: `tok-${i}` } })],
    ['route check, one caller (cached)', () => ROUTE],
    ['step.dispatch, evaluated', (i) => ({ ...DISPATCH, principal: { ...DISPATCH.principal, id: `clerk-${i}`, name: `clerk-${i}` } })],
    ['step.dispatch, new run and step each (cached)', (i) => ({ ...DISPATCH, context: { ...DISPATCH.context, runId: `r-${i}`, stepId: `s-${i}` } })],
  ];
  for (const [name, request] of cases) {
    ctx.log(`policy: ${count} decisions, ${name}`);
    const figures = await repeat(ctx.reps, { 'p50 ms': 'ms', 'p99 ms': 'ms', 'cpu ms/decision': 'ms' }, async () => measure(engine, request, count));
    ctx.log(`  p99 ${figures['p99 ms']!.median.toFixed(3)} ms`);
    result.push(...rows('policy', name, figures));
  }
  return result;
}
