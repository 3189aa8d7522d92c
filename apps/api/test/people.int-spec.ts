import { TestOidcProvider, testDatabaseKinds, waitFor } from '@baton/testing';
import { defaultPolicyText } from '@baton/policy';
import { http, useTestServer } from './support/test-app.js';

// Two dots: JWT-shaped, so every admin call also proves a refused JWT is still tried as a token.
const ADMIN = 'people.admin-token.0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN}` };

const PEOPLE = {
  alice: { sub: 'alice', name: 'Alice', email: 'alice@example.com', baton_role: 'operator', groups: ['release'] },
  bob: { sub: 'bob', name: 'Bob', email: 'bob@example.com', baton_role: 'operator', groups: ['release'] },
  carol: { sub: 'carol', name: 'Carol', email: 'carol@example.com', baton_role: 'operator', groups: ['qa'] },
  dave: { sub: 'dave', name: 'Dave', email: 'dave@example.com', groups: ['contractors'] },
  sam: { sub: 'sam', name: 'Sam', email: 'sam@example.com', baton_role: 'admin', groups: ['release'] },
} as const;
type Person = keyof typeof PEOPLE;

const gated = (checkpoint: Record<string, unknown>) => ({ steps: [{ id: 'gate', type: 'checkpoint', checkpoint: { prompt: 'Ship?', ...checkpoint } }] });

/**
 * Issue 13, people: bearer JWTs from an OIDC provider (a real one on loopback, real keys and
 * signatures) beside API tokens, the person in whoami and in Cedar, and checkpoints that name
 * who decides (approvers, self_approval, min_approvals), recording every decision's person.
 */
describe.each(testDatabaseKinds())('people (OIDC) on %s', (kind) => {
  let provider: TestOidcProvider;
  const env: Record<string, string> = { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLICY_POLL_MS: '60000', BATON_OIDC_AUDIENCE: 'baton' };
  beforeAll(async () => {
    provider = await TestOidcProvider.start();
    env.BATON_OIDC_ISSUER = provider.issuer; // read when the server starts, just below
  });
  afterAll(() => provider?.close());
  const ctx = useTestServer(kind, env);
  let opsToken = '';

  const jwt = (who: Person) => provider.sign(PEOPLE[who]);
  const as = async (who: Person | 'ops' | 'admin', method: string, path: string, body?: unknown) => {
    const bearer = who === 'admin' ? ADMIN : who === 'ops' ? opsToken : await jwt(who);
    return http(method, `${ctx.url}${path}`, body, { authorization: `Bearer ${bearer}` });
  };
  const start = async (who: Person | 'admin', plan: unknown): Promise<string> => {
    const created = await as(who, 'POST', '/api/v1/runs', { plan });
    expect(created.status).toBe(201);
    return created.body.id;
  };
  const pendingOf = (runId: string) =>
    waitFor(async () => (await as('admin', 'GET', `/api/v1/approvals?status=pending&runId=${runId}`)).body.approvals[0], { what: `approval of ${runId}` });
  const runStatus = (runId: string, status: string) =>
    waitFor(async () => ((await as('admin', 'GET', `/api/v1/runs/${runId}`)).body.status === status ? status : undefined), { what: `run ${runId} ${status}` });

  beforeAll(async () => {
    const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'ops', role: 'operator' }, admin);
    opsToken = created.body.token;
  });

  it('shows the signed-in person in whoami, and API tokens keep working', async () => {
    expect((await as('alice', 'GET', '/api/v1/whoami')).body).toEqual({
      kind: 'person', subject: 'alice', name: 'Alice', email: 'alice@example.com', role: 'operator', groups: ['release'], owner: null, issuer: provider.issuer,
    });
    expect((await as('ops', 'GET', '/api/v1/whoami')).body).toMatchObject({ name: 'ops', role: 'operator' });
    expect((await as('dave', 'GET', '/api/v1/whoami')).body.role).toBe('viewer');
  });

  it('refuses bad JWTs with 401 and a clear message, never a 500', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['expired', await provider.sign(PEOPLE.alice, { expiresIn: -600 }), /expired/],
      ['wrong audience', await provider.sign(PEOPLE.alice, { audience: 'other' }), /wrong audience/],
      ['wrong issuer', await provider.sign(PEOPLE.alice, { issuer: 'https://idp.evil.example' }), /wrong issuer/],
      ['unknown kid', await provider.sign(PEOPLE.alice, { unknownKey: true }), /kid/],
      ['alg none', provider.unsigned(PEOPLE.alice), /algorithm|malformed/],
      ['malformed', 'not.a.jwt', /malformed/],
      ['oversize', `${'e'.repeat(9000)}.e.e`, /larger than/],
    ];
    for (const [what, token, message] of cases) {
      const answer = await http('GET', `${ctx.url}/api/v1/runs`, undefined, { authorization: `Bearer ${token}` });
      expect({ what, status: answer.status }).toEqual({ what, status: 401 });
      expect(answer.body.message).toMatch(message);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('decides a person through Cedar as Baton::Person with their role and groups', async () => {
    const refused = await as('dave', 'POST', '/api/v1/runs', { plan: gated({}) });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/role viewer may not POST \/api\/v1\/runs/);
    const policy = `${defaultPolicyText()}
@id("no-contractor-runs")
forbid (principal is Baton::Person, action == Baton::Action::"read", resource == Baton::Route::"GET /api/v1/runs")
when { principal in Baton::Group::"contractors" };`;
    expect((await http('POST', `${ctx.url}/api/v1/policies`, { policy, activate: true }, admin)).status).toBe(201);
    try {
      expect((await as('dave', 'GET', '/api/v1/runs')).status).toBe(403);
      expect((await as('alice', 'GET', '/api/v1/runs')).status).toBe(200);
    } finally {
      expect((await http('POST', `${ctx.url}/api/v1/policies/rollback`, {}, admin)).status).toBe(200);
    }
  });

  it('needs a quorum of named approvers, keeps the submitter out, and records each person', async () => {
    const runId = await start('sam', gated({ approvers: { groups: ['release'], users: ['carol@example.com'] }, min_approvals: 2, self_approval: false }));
    const approval = await pendingOf(runId);
    expect(approval).toMatchObject({ approvers: { groups: ['release'], users: ['carol@example.com'] }, selfApproval: false, quorum: { needed: 2, approved: 0 }, decisions: [] });
    const path = `/api/v1/approvals/${approval.id}/decision`;

    const viewer = await as('dave', 'POST', path, { decision: 'approve' });
    expect(viewer.status).toBe(403);
    const stranger = await as('ops', 'POST', path, { decision: 'approve' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.message).toMatch(/token ops \(operator\) is not an approver of checkpoint gate: it names group release, user carol@example.com/);
    const self = await as('sam', 'POST', path, { decision: 'approve' });
    expect(self.status).toBe(403);
    expect(self.body.message).toMatch(/submitted run .* may not approve .*self_approval: false/);
    expect((await as('admin', 'GET', `/api/v1/approvals/${approval.id}`)).body.decisions).toEqual([]);

    const first = await as('alice', 'POST', path, { decision: 'approve', comment: 'looks good' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', quorum: { needed: 2, approved: 1 } });
    expect(first.body.decisions).toEqual([
      expect.objectContaining({ decision: 'approve', comment: 'looks good', decidedBy: { subject: 'alice', name: 'Alice', email: 'alice@example.com', role: 'operator' } }),
    ]);
    expect((await as('alice', 'POST', path, { decision: 'approve' })).status).toBe(409);

    const second = await as('carol', 'POST', path, { decision: 'approve' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'approved', quorum: { needed: 2, approved: 2 }, decidedBy: { subject: 'carol', email: 'carol@example.com' } });
    expect(second.body.decisions.map((d: any) => d.decidedBy.subject)).toEqual(['alice', 'carol']);
    await runStatus(runId, 'completed');
  });

  it('counts two approvers deciding at the same moment in turn: the second settles it, once', async () => {
    const runId = await start('sam', gated({ approvers: { groups: ['release'] }, min_approvals: 2 }));
    const approval = await pendingOf(runId);
    const path = `/api/v1/approvals/${approval.id}/decision`;
    const answers = await Promise.all([as('alice', 'POST', path, { decision: 'approve' }), as('bob', 'POST', path, { decision: 'approve' })]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.body.status).sort()).toEqual(['approved', 'pending']);
    const settled = (await as('admin', 'GET', `/api/v1/approvals/${approval.id}`)).body;
    expect(settled).toMatchObject({ status: 'approved', quorum: { needed: 2, approved: 2 } });
    await runStatus(runId, 'completed');
  });

  it('rejects on one reject before the quorum, and lets the submitter reject', async () => {
    const runId = await start('sam', gated({ approvers: { groups: ['release'] }, min_approvals: 2, self_approval: false }));
    const approval = await pendingOf(runId);
    const path = `/api/v1/approvals/${approval.id}/decision`;
    expect((await as('alice', 'POST', path, { decision: 'approve' })).body.status).toBe('pending');
    const rejected = await as('sam', 'POST', path, { decision: 'reject', comment: 'not today' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', decidedBy: { subject: 'sam', name: 'Sam' }, quorum: { needed: 2, approved: 1 } });
    await runStatus(runId, 'failed');
  });

  it('records an API token decision by the token name, and keeps a token that submitted from approving', async () => {
    const plain = await start('admin', gated({}));
    const open = await pendingOf(plain);
    const decided = await as('ops', 'POST', `/api/v1/approvals/${open.id}/decision`, { decision: 'approve' });
    expect(decided.body).toMatchObject({ status: 'approved', decidedBy: { name: 'ops', role: 'operator' } });

    const own = await start('admin', gated({ self_approval: false }));
    const mine = await pendingOf(own);
    const refused = await as('admin', 'POST', `/api/v1/approvals/${mine.id}/decision`, { decision: 'approve' });
    expect(refused.status).toBe(403);
    expect((await as('ops', 'POST', `/api/v1/approvals/${mine.id}/decision`, { decision: 'approve' })).body.status).toBe('approved');
  });

  it('refuses bad approver fields in a definition, naming the path', async () => {
    const bad = await as('admin', 'POST', '/api/v1/runs', {
      plan: gated({ approvers: { groups: ['ok', 'two words'], teams: [] }, min_approvals: 0, self_approval: 'no' }),
    });
    expect(bad.status).toBe(400);
    const paths = (bad.body.details as { path: string }[]).map((d) => d.path);
    for (const suffix of ['checkpoint.approvers.groups[1]', 'checkpoint.approvers.teams', 'checkpoint.min_approvals', 'checkpoint.self_approval']) {
      expect(paths.some((p) => p.endsWith(suffix))).toBe(true);
    }
    const empty = await as('admin', 'POST', '/api/v1/runs', { plan: gated({ approvers: { users: [] } }) });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/approvers: must name at least one group or user/);
  });
});
