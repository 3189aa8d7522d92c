import { AccessPolicy, accessRules } from './access-policy.js';

describe('AccessPolicy', () => {
  const policy = new AccessPolicy(accessRules());

  it('finds the rule by method and pattern', () => {
    expect(policy.ruleFor('POST', '/api/v1/runs').access).toBe('run.create');
    expect(policy.ruleFor('GET', '/api/v1/runs').access).toBe('read');
    expect(policy.ruleFor('POST', '/api/v1/runs/9a1b/cancel').access).toBe('run.cancel');
    expect(policy.ruleFor('POST', '/api/v1/runs/9a1b/steps/s-1/retry').access).toBe('step.retry');
    expect(policy.ruleFor('POST', '/api/v1/approvals/42/decision').access).toBe('approval.decide');
  });

  it('ignores query strings and trailing slashes, and treats HEAD as GET', () => {
    expect(policy.ruleFor('GET', '/api/v1/runs/?status=running').access).toBe('read');
    expect(policy.ruleFor('HEAD', '/health').access).toBe('public');
  });

  it('asks route.unlisted (admins only) for anything not in the table', () => {
    expect(policy.ruleFor('PUT', '/api/v1/runs/1').access).toBe('route.unlisted');
    expect(policy.ruleFor('GET', '/api/v1/secret-new-thing').access).toBe('route.unlisted');
    expect(policy.ruleFor('GET', '/api/v1/runs/1/steps').access).toBe('route.unlisted');
    expect(policy.ruleFor('GET', '/dashboard-admin').access).toBe('route.unlisted');
    expect(policy.ruleFor('POST', '/dashboard').access).toBe('route.unlisted');
    expect(policy.ruleFor('GET', '/dashboard/a/b/c/d').access).toBe('route.unlisted');
  });

  it('opens the dashboard page, its deep links and assets to GET', () => {
    expect(policy.ruleFor('GET', '/dashboard').access).toBe('public');
    expect(policy.ruleFor('GET', '/dashboard/assets/index-abc.js').access).toBe('public');
    expect(policy.ruleFor('GET', '/dashboard/runs/9a1b').access).toBe('public');
  });

  it('keeps /metrics open unless metrics auth is on', () => {
    expect(policy.ruleFor('GET', '/metrics').access).toBe('public');
    expect(new AccessPolicy(accessRules({ metricsAuth: true })).ruleFor('GET', '/metrics').access).toBe('read');
  });

  it('accepts a query token only on the streaming routes', () => {
    expect(policy.ruleFor('GET', '/api/v1/runs/1/events').queryToken).toBe(true);
    expect(policy.ruleFor('GET', '/api/v1/runs/1').queryToken).toBeUndefined();
  });
});
