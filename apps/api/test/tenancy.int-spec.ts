import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startReceiver } from './support/webhook-receiver.js';

const ADMIN = 'tenancy-admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN}` };
const plan = { steps: [{ id: 'wait', type: 'checkpoint', checkpoint: { prompt: 'Go?' } }] };

/**
 * Issue 13, tenancy: a token bound to an owner sees and steers only that owner's runs; another
 * owner's run is a 404, not a 403, and nothing happens to it. Unbound tokens reach all owners.
 */
describe.each(testDatabaseKinds())('tenancy on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLICY_POLL_MS: '60000', BATON_WEBHOOK_POLL_MS: '100', BATON_WEBHOOK_BACKOFF_MS: '20' });
  const tokens: Record<string, string> = {};
  let acmeRun = '';
  let globexRun = '';

  const as = (who: string, method: string, path: string, body?: unknown) =>
    http(method, `${ctx.url}${path}`, body, { authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    const specs: [string, string, string?][] = [
      ['viewer-acme', 'viewer', 'acme'],
      ['operator-acme', 'operator', 'acme'],
      ['agent-acme', 'agent', 'acme'],
      ['agent-globex', 'agent', 'globex'],
      ['admin-globex', 'admin', 'globex'],
      ['viewer-all', 'viewer'],
    ];
    for (const [name, role, owner] of specs) {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name, role, ...(owner ? { owner } : {}) }, admin);
      expect(created.status).toBe(201);
      expect(created.body.owner).toBe(owner ?? null);
      tokens[name] = created.body.token;
    }
    const a = await as('agent-acme', 'POST', '/api/v1/runs', { plan });
    const g = await as('agent-globex', 'POST', '/api/v1/runs', { plan });
    expect([a.status, g.status]).toEqual([201, 201]);
    expect([a.body.owner, g.body.owner]).toEqual(['acme', 'globex']);
    acmeRun = a.body.id;
    globexRun = g.body.id;
  });

  it('tells a bound token its owner', async () => {
    expect((await as('viewer-acme', 'GET', '/api/v1/whoami')).body).toMatchObject({ name: 'viewer-acme', owner: 'acme' });
    expect((await as('viewer-all', 'GET', '/api/v1/whoami')).body.owner).toBeUndefined();
  });

  it('lists to a bound token only its owner\'s runs', async () => {
    const ids = async (who: string, query = '') => ((await as(who, 'GET', `/api/v1/runs${query}`)).body.runs as { id: string }[]).map((run) => run.id);
    expect(await ids('viewer-acme')).toEqual([acmeRun]);
    expect(await ids('viewer-acme', '?owner=globex')).toEqual([]);
    expect((await ids('viewer-all')).sort()).toEqual([acmeRun, globexRun].sort());
  });

  it('answers 404 for another owner\'s run, to reads and to steering, and leaves it alone', async () => {
    expect((await as('viewer-acme', 'GET', `/api/v1/runs/${acmeRun}`)).status).toBe(200);
    expect((await as('viewer-acme', 'GET', `/api/v1/runs/${globexRun}`)).status).toBe(404);
    for (const action of ['cancel', 'pause', 'resume', 'steps/wait/retry']) {
      const answer = await as('operator-acme', 'POST', `/api/v1/runs/${globexRun}/${action}`, {});
      expect({ action, status: answer.status }).toEqual({ action, status: 404 });
    }
    expect((await as('viewer-all', 'GET', `/api/v1/runs/${globexRun}`)).body.status).not.toBe('cancelled');
    const cancelled = await as('operator-acme', 'POST', `/api/v1/runs/${acmeRun}/cancel`, {});
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
  });

  it('lets a bound token start runs of its own owner only', async () => {
    const other = await as('agent-acme', 'POST', '/api/v1/runs', { definition: { name: 'anything', owner: 'globex' } });
    expect(other.status).toBe(403);
    expect(other.body.message).toMatch(/bound to owner acme/);
  });

  it('keeps an owned run\'s child runs in its owner: another owner\'s definition fails the step', async () => {
    const globexDef = await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'globex-secret', version: '1', owner: 'globex', steps: [{ id: 's', agent: 'builtin:echo' }] }, admin);
    expect(globexDef.status).toBe(201);
    const reach = { steps: [{ id: 'steal', type: 'orchestration', definition: { name: 'globex-secret', owner: 'globex' } }] };
    const run = await as('agent-acme', 'POST', '/api/v1/runs', { plan: reach });
    expect(run.status).toBe(201);
    const failed = await waitFor(async () => {
      const got = (await as('viewer-all', 'GET', `/api/v1/runs/${run.body.id}`)).body;
      return got.status === 'failed' ? got : undefined;
    }, { what: 'the run to fail' });
    expect(failed.steps[0].error).toMatchObject({ code: 'owner_forbidden' });
    const globexRuns = (await as('viewer-all', 'GET', '/api/v1/runs?owner=globex')).body.runs.map((r: { id: string }) => r.id);
    expect(globexRuns).toEqual([globexRun]);
  });

  it('sends an owned webhook subscription only its owner\'s runs\' events', async () => {
    const receiver = await startReceiver();
    try {
      const created = await as('admin-globex', 'POST', '/api/v1/webhooks', { url: receiver.url, events: ['run.*'] });
      expect([created.status, created.body.owner]).toEqual([201, 'globex']);
      receiver.secret = created.body.secret;
      const echo = { steps: [{ id: 'say', agent: 'builtin:echo', input: { hi: 1 } }] };
      const settled = async (id: string) => waitFor(async () => ['completed', 'failed'].includes((await as('viewer-all', 'GET', `/api/v1/runs/${id}`)).body.status), { what: `run ${id}` });
      // acme's run finishes first, so its events come before globex's in the order the
      // dispatcher follows: once globex's run.completed arrives, acme's were passed over.
      const acme = (await as('agent-acme', 'POST', '/api/v1/runs', { plan: echo })).body.id;
      await settled(acme);
      const globex = (await as('agent-globex', 'POST', '/api/v1/runs', { plan: echo })).body.id;
      await settled(globex);
      await waitFor(() => receiver.forRun(globex).some((d) => d.eventType === 'run.completed'), { what: 'globex\'s run.completed' });
      expect(receiver.forRun(acme)).toEqual([]);
      expect(receiver.calls.every((call) => !call.badSignature)).toBe(true);
      expect((await as('viewer-acme', 'GET', '/api/v1/webhooks')).body.items).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('gives Cedar the token\'s owner', async () => {
    const policy = `permit (principal, action, resource) when { principal.role == "admin" };
permit (principal, action == Baton::Action::"read", resource);
permit (principal in Baton::Role::"agent", action in Baton::Action::"runs.submit", resource) unless { principal.owner == "globex" };`;
    const stored = await http('POST', `${ctx.url}/api/v1/policies`, { policy, activate: true }, admin);
    expect(stored.status).toBe(201);
    try {
      expect((await as('agent-globex', 'POST', '/api/v1/runs', { plan })).status).toBe(403);
      expect((await as('agent-acme', 'POST', '/api/v1/runs', { plan })).status).toBe(201);
    } finally {
      await http('POST', `${ctx.url}/api/v1/policies/default/activate`, {}, admin);
    }
  });
});
