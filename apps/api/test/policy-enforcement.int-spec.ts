import { randomUUID } from 'node:crypto';
import { defaultPolicyText } from '@baton/policy';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { startLoopbackAgent, type LoopbackAgent } from './support/loopback-agent.js';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'enforcement-admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN}` };

/**
 * The default set plus: the clerk agent may not run billing's steps; nobody cancels acme's
 * runs; only senders in the "billing" group send invoice messages.
 */
const RULES = `${defaultPolicyText()}
@id("clerk-not-billing")
forbid (principal == Baton::Agent::"clerk", action == Baton::Action::"step.dispatch", resource)
when { resource.name like "billing*" };
@id("acme-runs-not-cancelled")
forbid (principal, action == Baton::Action::"run.cancel", resource is Baton::Run)
when { resource.owner == "acme" };
@id("invoices-to-ledger-only")
forbid (principal, action == Baton::Action::"message.send", resource == Baton::MessageType::"invoice")
when { context has recipient && context.recipient != "ledger" };
`;

const whatIfBody = () => ({ principal: { name: 'x', role: 'viewer' }, action: 'read', resource: { type: 'Hub', id: 'hub' } });

/**
 * Issue 13: the policy set decides beyond the route — at step dispatch (a deny fails the step
 * with policy_denied before the agent is called), on the run itself (its owner), and per
 * agent message — and every deny lands in the decision log with the version and the reasons.
 */
describe.each(testDatabaseKinds())('policy enforcement on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLICY_POLL_MS: '60000' });
  const tokens: Record<string, string> = {};
  let clerk: LoopbackAgent;
  let version = 0;
  const as = (who: string, method: string, path: string, body?: unknown) =>
    http(method, `${ctx.url}${path}`, body, who === 'admin' ? admin : { authorization: `Bearer ${tokens[who]}` });
  const decisions = async (query: string) => (await as('admin', 'GET', `/api/v1/policies/decisions?${query}`)).body.items as any[];

  beforeAll(async () => {
    clerk = await startLoopbackAgent();
    expect((await as('admin', 'POST', '/api/v1/agents', { kind: 'http', name: 'clerk', url: clerk.url, capabilities: ['paperwork'] })).status).toBe(201);
    for (const name of ['billing', 'blog']) {
      const saved = await as('admin', 'POST', '/api/v1/definitions', {
        name,
        version: '1',
        steps: [
          { id: 'draft', agent: 'clerk', retry: { max_attempts: 3 } },
          { id: 'file', agent: 'clerk', depends_on: ['draft'] },
        ],
      });
      expect(saved.status).toBe(201);
    }
    const team = await as('admin', 'POST', '/api/v1/definitions', {
      name: 'billing-team',
      version: '1',
      steps: [{ id: 'team', type: 'pattern', pattern: 'supervisor', max_turns: 4, agents: [{ name: 'boss', agent: 'clerk' }, { name: 'helper', agent: 'builtin:echo' }] }],
    });
    expect(team.status).toBe(201);
    for (const [name, role, owner] of ( [['op', 'operator'], ['ledger', 'agent'], ['sender', 'agent'], ['viewer', 'viewer'], ['acme-agent', 'agent', 'acme'], ['globex-agent', 'agent', 'globex']] as Array<[string, string, string?]>)) {
      const created = await as('admin', 'POST', '/api/v1/tokens', { name, role, ...(owner ? { owner } : {}) });
      tokens[name] = created.body.token;
    }
    expect((await as('admin', 'POST', '/api/v1/message-types', { name: 'invoice', schema: { type: 'object' } })).status).toBe(201);
    const stored = await as('admin', 'POST', '/api/v1/policies', { policy: RULES, activate: true });
    expect(stored.status).toBe(201);
    version = stored.body.version;
  });
  afterAll(() => clerk?.close());

  const runOf = async (name: string, owner?: string) => {
    const started = await as('admin', 'POST', '/api/v1/runs', { definition: { name, ...(owner ? { owner } : {}) }, input: {} });
    expect(started.status).toBe(201);
    return started.body.id as string;
  };
  const finished = (id: string) =>
    waitFor(async () => {
      const run = (await as('admin', 'GET', `/api/v1/runs/${id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
    }, { what: `run ${id}` });

  it('fails a step the policy denies with policy_denied, before the agent is called and without retries', async () => {
    const callsBefore = clerk.calls;
    const run = await finished(await runOf('billing'));
    expect(run.status).toBe('failed');
    const draft = run.steps.find((s: any) => s.id === 'draft');
    expect(draft).toMatchObject({ status: 'failed', attempt: 1, error: { code: 'policy_denied', retryable: false } });
    expect(draft.error.details).toMatchObject({ agent: 'clerk', policyVersion: String(version), reasons: ['clerk-not-billing'] });
    // The dependant never ran, and the agent was never called.
    expect(run.steps.find((s: any) => s.id === 'file').status).not.toBe('completed');
    expect(run.steps.find((s: any) => s.id === 'file').attempt ?? 0).toBe(0);
    expect(clerk.calls).toBe(callsBefore);
    // Another definition with the same agent runs as before.
    expect((await finished(await runOf('blog'))).status).toBe('completed');
    expect(clerk.calls).toBe(callsBefore + 2);
    const logged = await decisions('decision=deny&action=step.dispatch');
    expect(logged[0]).toMatchObject({
      principal: 'Baton::Agent::"clerk"', action: 'step.dispatch', resource: 'Baton::Definition::"billing@1"',
      decision: 'deny', policyVersion: String(version), reasons: ['clerk-not-billing'],
    });
  });

  it('fails a pattern step before its first turn when one of its agents may not run it', async () => {
    const callsBefore = clerk.calls;
    const run = await finished(await runOf('billing-team'));
    expect(run.status).toBe('failed');
    const team = run.steps.find((s: any) => s.id === 'team');
    expect(team).toMatchObject({ status: 'failed', error: { code: 'policy_denied', details: { agent: 'clerk' } } });
    expect(team.turns ?? []).toEqual([]);
    expect(clerk.calls).toBe(callsBefore);
  });

  it('decides steering on the run itself: its owner, after the route check passed', async () => {
    const hold = { steps: [{ id: 'wait', type: 'checkpoint', checkpoint: { prompt: 'Go?' } }] };
    const acme = (await as('acme-agent', 'POST', '/api/v1/runs', { plan: hold })).body;
    const globex = (await as('globex-agent', 'POST', '/api/v1/runs', { plan: hold })).body;
    expect([acme.owner, globex.owner]).toEqual(['acme', 'globex']);
    const refused = await as('op', 'POST', `/api/v1/runs/${acme.id}/cancel`, {});
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain(`denied by policy version ${version}`);
    expect((await as('admin', 'GET', `/api/v1/runs/${acme.id}`)).body.status).not.toBe('cancelled');
    expect((await as('op', 'POST', `/api/v1/runs/${globex.id}/cancel`, {})).status).toBe(200);
    const [logged] = await decisions('decision=deny&action=run.cancel');
    expect(logged).toMatchObject({ resource: `Baton::Run::"${acme.id}"`, reasons: ['acme-runs-not-cancelled'] });
  });

  it('decides each agent message by type and recipient', async () => {
    const send = (to: string) =>
      as('sender', 'POST', '/api/v1/messages', { kind: 'event', type: 'invoice', to: { agent: to }, payload: {}, nonce: randomUUID() });
    expect((await send('ledger')).status).toBe(201);
    const refused = await send('sender');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('invoices-to-ledger-only');
    const [logged] = await decisions('decision=deny&action=message.send');
    expect(logged).toMatchObject({ principal: 'Baton::Agent::"sender"', resource: 'Baton::MessageType::"invoice"' });
  });

  it('logs route denies and sensitive allows, and lets only admins read the log', async () => {
    expect((await as('viewer', 'POST', '/api/v1/tokens', { name: 'nope', role: 'admin' })).status).toBe(403);
    const [denied] = await decisions('decision=deny&action=token.manage&limit=1');
    expect(denied).toMatchObject({ action: 'token.manage', resource: 'Baton::Route::"POST /api/v1/tokens"', decision: 'deny', policyVersion: String(version) });
    const allowed = await decisions('decision=allow&action=policy.manage');
    expect(allowed[0]).toMatchObject({ decision: 'allow', reasons: ['admins-all'] });
    // Reads are not sensitive: an allowed GET is not logged.
    expect(await decisions('decision=allow&action=read')).toEqual([]);
    expect((await as('viewer', 'GET', '/api/v1/policies/decisions')).status).toBe(403);
    // What-if evaluations are answered but not logged.
    const loggedBefore = (await decisions('action=step.dispatch')).length;
    const whatIf = await as('admin', 'POST', '/api/v1/policies/evaluate', {
      principal: { type: 'Agent', name: 'clerk', role: 'agent', capabilities: ['paperwork'] },
      action: 'step.dispatch',
      resource: { type: 'Definition', id: 'billing@1', attrs: { name: 'billing', version: '1', owner: '' } },
      context: { runId: 'r', stepId: 'draft', stepType: 'agent', capability: '', runOwner: '' },
    });
    expect(whatIf.body).toEqual({ allowed: false, version: String(version), reasons: ['clerk-not-billing'], errors: [] });
    expect((await decisions('action=step.dispatch')).length).toBe(loggedBefore);
    const badContext = await as('admin', 'POST', '/api/v1/policies/evaluate', { ...whatIfBody(), context: { nested: { a: 1 } } });
    expect(badContext.status).toBe(400);
    expect(JSON.stringify(badContext.body)).toContain('context');
    const bad = await as('admin', 'GET', '/api/v1/policies/decisions?decision=maybe');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('decision');
  });
});
