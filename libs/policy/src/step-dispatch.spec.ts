import { defaultPolicyText } from './policy-files.js';
import { PolicyEngine, type PolicyRequest } from './policy-engine.js';

/** The request the step executor makes before calling an agent (libs/execution dispatch-policy.ts). */
const dispatch = (agent: string, capabilities: string[], definition = 'billing'): PolicyRequest => ({
  principal: { type: 'Agent', id: agent, name: agent, role: 'agent', owner: '', capabilities },
  action: 'step.dispatch',
  resource: { type: 'Definition', id: `${definition}@1`, attrs: { name: definition, version: '1', owner: 'acme' } },
  context: { runId: 'r-1', stepId: 'charge', stepType: 'agent', capability: 'payments', runOwner: 'acme' },
});

describe('step.dispatch', () => {
  it('is permitted for every agent and definition by the default set', () => {
    const engine = new PolicyEngine();
    engine.load('default', defaultPolicyText());
    expect(engine.decide(dispatch('anyone', []))).toEqual({ allowed: true, version: 'default', reasons: ['dispatch-all'], errors: [] });
  });

  it('decides on the agent, its capabilities, the definition and the step context', () => {
    const engine = new PolicyEngine();
    engine.load(
      'v2',
      `${defaultPolicyText()}
@id("billing-needs-payments")
forbid (principal, action == Baton::Action::"step.dispatch", resource)
when { resource.name == "billing" && !principal.capabilities.contains("payments") };
@id("acme-steps-not-by-intern")
forbid (principal == Baton::Agent::"intern", action == Baton::Action::"step.dispatch", resource)
when { context.runOwner == "acme" && context.stepId == "charge" };`,
    );
    expect(engine.decide(dispatch('payer', ['payments'])).allowed).toBe(true);
    expect(engine.decide(dispatch('writer', ['text']))).toMatchObject({ allowed: false, reasons: ['billing-needs-payments'], errors: [] });
    expect(engine.decide(dispatch('writer', ['text'], 'blog')).allowed).toBe(true);
    expect(engine.decide(dispatch('intern', ['payments']))).toMatchObject({ allowed: false, reasons: ['acme-steps-not-by-intern'] });
  });

  it('refuses a dispatch policy that names an attribute the schema does not have', () => {
    const engine = new PolicyEngine();
    expect(() =>
      engine.check('permit (principal, action == Baton::Action::"step.dispatch", resource) when { resource.colour == "red" };'),
    ).toThrow(/colour/);
  });

  it('decides a run by its owner (resource-level checks on the run routes)', () => {
    const engine = new PolicyEngine();
    engine.load(
      'v3',
      `${defaultPolicyText()}
@id("acme-runs-frozen")
forbid (principal, action == Baton::Action::"run.cancel", resource is Baton::Run) when { resource.owner == "acme" };`,
    );
    const cancel = (owner: string): PolicyRequest => ({
      principal: { type: 'Token', id: 't-op', name: 'op', role: 'operator' },
      action: 'run.cancel',
      resource: { type: 'Run', id: 'r-1', attrs: { owner } },
      context: { method: 'POST', path: '/api/v1/runs/r-1/cancel' },
    });
    expect(engine.decide(cancel('acme'))).toMatchObject({ allowed: false, reasons: ['acme-runs-frozen'] });
    expect(engine.decide(cancel('globex'))).toMatchObject({ allowed: true, reasons: ['operators-steer'] });
  });
});
