import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgDatabase, type Database } from '@baton/db';
import { defaultPolicyText } from '@baton/policy';
import { testDatabaseKinds } from '@baton/testing';
import { http, startTestApp, useTestServer, type TestApp } from './support/test-app.js';

const ADMIN = 'policies-admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN}` };
/** The default set plus one rule: viewers may not list runs. */
const NO_VIEWER_RUNS = `${defaultPolicyText()}
@id("viewers-not-runs")
forbid (principal in Baton::Role::"viewer", action == Baton::Action::"read", resource == Baton::Route::"GET /api/v1/runs");
`;

/**
 * Issue 13: Cedar policy sets versioned in the database, validated before they are stored,
 * activated and rolled back through the API, loaded from BATON_POLICY_FILE at start, and
 * picked up by every instance.
 */
describe.each(testDatabaseKinds())('policy sets on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLICY_POLL_MS: '60000' });
  let viewer = '';

  beforeAll(async () => {
    const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'p-viewer', role: 'viewer' }, admin);
    viewer = created.body.token;
  });
  const asViewer = (path: string) => http('GET', `${ctx.url}${path}`, undefined, { authorization: `Bearer ${viewer}` });

  it('starts on the shipped default set', async () => {
    const active = await http('GET', `${ctx.url}/api/v1/policies/active`, undefined, admin);
    expect(active.body).toMatchObject({ version: 'default', activatedAt: null, policy: defaultPolicyText() });
  });

  it('refuses a set that does not parse with a 400 naming the line, and stores nothing', async () => {
    const bad = await http('POST', `${ctx.url}/api/v1/policies`, { policy: 'permit (principal, action, resource);\nforbid (principal action, resource);' }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^policy:2: line 2, column \d+: /);
    expect(bad.body.details[0].path).toBe('policy:2');
    const list = await http('GET', `${ctx.url}/api/v1/policies`, undefined, admin);
    expect(list.body).toMatchObject({ active: { version: 'default' }, items: [] });
  });

  it('refuses a set that does not validate against the schema, naming the line', async () => {
    const text = 'permit (principal, action == Baton::Action::"read", resource);\npermit (principal, action == Baton::Action::"run.launch", resource);';
    const bad = await http('POST', `${ctx.url}/api/v1/policies`, { policy: text }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.details[0]).toMatchObject({ path: 'policy:2', message: expect.stringMatching(/run\.launch/) });
  });

  it('stores a version once, activates it, takes effect, and rolls back', async () => {
    expect((await asViewer('/api/v1/runs')).status).toBe(200);
    const stored = await http('POST', `${ctx.url}/api/v1/policies`, { policy: NO_VIEWER_RUNS, description: 'no runs for viewers' }, admin);
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ version: 1, source: 'api', createdBy: 'token:bootstrap', active: false });
    expect(stored.body.hash).toMatch(/^[0-9a-f]{64}$/);
    // Stored, not active: nothing changed yet.
    expect((await asViewer('/api/v1/runs')).status).toBe(200);
    const again = await http('POST', `${ctx.url}/api/v1/policies`, { policy: NO_VIEWER_RUNS }, admin);
    expect(again).toMatchObject({ status: 200, body: { version: 1, hash: stored.body.hash } });

    const activated = await http('POST', `${ctx.url}/api/v1/policies/1/activate`, {}, admin);
    expect(activated).toMatchObject({ status: 200, body: { version: 1, activatedBy: 'token:bootstrap' } });
    const denied = await asViewer('/api/v1/runs');
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/needs read \(action read; denied by policy version 1\)/);
    expect((await asViewer('/api/v1/agents')).status).toBe(200);

    const diff = await http('GET', `${ctx.url}/api/v1/policies/1/diff`, undefined, admin);
    expect(diff.body.from).toBe('default');
    expect(diff.body.lines.filter((l: { op: string }) => l.op === '+').map((l: { line: string }) => l.line)).toContain('@id("viewers-not-runs")');
    expect(diff.body.lines.filter((l: { op: string }) => l.op === '-')).toEqual([]);

    const back = await http('POST', `${ctx.url}/api/v1/policies/rollback`, {}, admin);
    expect(back).toMatchObject({ status: 200, body: { version: 'default' } });
    expect((await asViewer('/api/v1/runs')).status).toBe(200);
    const list = await http('GET', `${ctx.url}/api/v1/policies`, undefined, admin);
    expect(list.body.items).toEqual([expect.objectContaining({ version: 1, active: false })]);
  });

  it('refuses to activate a set that would lock admins out of policy management', async () => {
    const stored = await http('POST', `${ctx.url}/api/v1/policies`, { policy: 'permit (principal, action == Baton::Action::"read", resource);' }, admin);
    expect(stored.status).toBe(201);
    const refused = await http('POST', `${ctx.url}/api/v1/policies/${stored.body.version}/activate`, {}, admin);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/denies admins policy.manage/);
    expect((await http('GET', `${ctx.url}/api/v1/policies/active`, undefined, admin)).body.version).toBe('default');
  });

  it('evaluates a what-if request against the active or a stored version, changing nothing', async () => {
    const stored = await http('POST', `${ctx.url}/api/v1/policies`, { policy: NO_VIEWER_RUNS }, admin);
    const ask = (version?: string) =>
      http('POST', `${ctx.url}/api/v1/policies/evaluate`, {
        principal: { name: 'dash', role: 'viewer' },
        action: 'read',
        resource: { type: 'Route', id: 'GET /api/v1/runs' },
        ...(version ? { version } : {}),
      }, { authorization: `Bearer ${viewer}` });
    expect((await ask()).body).toEqual({ allowed: true, version: 'default', reasons: ['read'], errors: [] });
    expect((await ask(String(stored.body.version))).body).toEqual({ allowed: false, version: String(stored.body.version), reasons: ['viewers-not-runs'], errors: [] });
    expect((await http('GET', `${ctx.url}/api/v1/policies/active`, undefined, admin)).body.version).toBe('default');
    const bad = await http('POST', `${ctx.url}/api/v1/policies/evaluate`, { principal: { name: 'x', role: 'viewer' }, action: 'run.explode', resource: { type: 'Route', id: 'x' } }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/action/);
  });

  it('answers 404 for a version that does not exist and 400 for one that is not a number', async () => {
    expect((await http('POST', `${ctx.url}/api/v1/policies/999/activate`, {}, admin)).status).toBe(404);
    const bad = await http('GET', `${ctx.url}/api/v1/policies/latest`, undefined, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('version');
  });

  it('loads BATON_POLICY_FILE at start as a new version only when it changed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-policy-'));
    const file = join(dir, 'baton.cedar');
    const apps: TestApp[] = [];
    try {
      await writeFile(file, `${NO_VIEWER_RUNS}// from version control\n`);
      const start = async () => {
        const app = await startTestApp(ctx.database.db, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLICY_FILE: file, BATON_POLICY_POLL_MS: '60000' });
        apps.push(app);
        return app;
      };
      const first = await start();
      const active = await http('GET', `${first.url}/api/v1/policies/active`, undefined, admin);
      expect(active.body).toMatchObject({ activatedBy: 'file' });
      const fileVersion = active.body.version as number;
      await first.close();
      // Unchanged file, and meanwhile someone rolled back: the operator's choice stays.
      await http('POST', `${ctx.url}/api/v1/policies/rollback`, {}, admin);
      const second = await start();
      expect((await http('GET', `${second.url}/api/v1/policies/active`, undefined, admin)).body.version).not.toBe(fileVersion);
      await second.close();
      // A file that does not validate: logged, not stored, and the active version stays.
      await writeFile(file, 'permit (principal, action == Baton::Action::"nope", resource);\n');
      const third = await start();
      const list = await http('GET', `${third.url}/api/v1/policies`, undefined, admin);
      expect(list.body.items.filter((item: { source: string }) => item.source === 'file')).toHaveLength(1);
      expect(list.body.active.version).not.toBe(fileVersion);
    } finally {
      for (const app of apps) await app.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      await http('POST', `${ctx.url}/api/v1/policies/default/activate`, {}, admin);
    }
  });

  it('reaches another instance on the same database without a restart', async () => {
    // On Postgres the second instance has its own pool (NOTIFY crosses connections); PGlite
    // is one embedded database, shared by both apps. Polling is 60 s: only NOTIFY can do it.
    const second: Database = kind === 'postgres' ? new PgDatabase(ctx.database.url!, 2) : ctx.database.db;
    const other = await startTestApp(second, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLICY_POLL_MS: '60000' });
    try {
      const viewerOnOther = () => http('GET', `${other.url}/api/v1/runs`, undefined, { authorization: `Bearer ${viewer}` });
      expect((await viewerOnOther()).status).toBe(200);
      const stored = await http('POST', `${ctx.url}/api/v1/policies`, { policy: NO_VIEWER_RUNS }, admin);
      await http('POST', `${ctx.url}/api/v1/policies/${stored.body.version}/activate`, {}, admin);
      await waitFor(async () => (await viewerOnOther()).status === 403);
      await http('POST', `${ctx.url}/api/v1/policies/default/activate`, {}, admin);
      await waitFor(async () => (await viewerOnOther()).status === 200);
    } finally {
      await other.close();
      if (second !== ctx.database.db) await second.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
