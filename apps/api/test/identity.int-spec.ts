import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { PgliteDatabase } from '@baton/db';
import { AccessService, assertListenAddressAllowed } from '@baton/identity';
import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { runCli } from '../../cli/src/cli.js';
import { http, startTestApp, type TestApp } from './support/test-app.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const longRun = { plan: { steps: [{ id: 'long', agent: 'builtin:delay', input: { ms: 30_000 } }] } };

describe.each(testDatabaseKinds())('identity with no token on %s', (kind) => {
  let database: TestDatabase;
  let server: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startTestApp(database.db);
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('lets everyone in as anonymous while auth is off', async () => {
    expect((await http('GET', `${server.url}/api/v1/runs`)).status).toBe(200);
    expect((await http('GET', `${server.url}/api/v1/whoami`)).body).toEqual({ anonymous: true });
  });

  it('refuses to listen beyond loopback while no token exists', async () => {
    const authEnabled = await server.app.get(AccessService).isAuthEnabled();
    expect(authEnabled).toBe(false);
    expect(() => assertListenAddressAllowed('0.0.0.0', authEnabled)).toThrow(/refusing to listen on 0.0.0.0 with auth off/);
    expect(assertListenAddressAllowed('127.0.0.1', authEnabled)).toEqual({ authOff: true });
  });

  it('turns auth on as soon as the first token is created', async () => {
    const created = await http('POST', `${server.url}/api/v1/tokens`, { name: 'first', role: 'viewer' });
    expect(created.status).toBe(201);
    expect((await http('GET', `${server.url}/api/v1/runs`)).status).toBe(401);
    expect((await http('GET', `${server.url}/api/v1/runs`, undefined, bearer(created.body.token))).status).toBe(200);
    expect(() => assertListenAddressAllowed('0.0.0.0', true)).not.toThrow();
  });
});

describe.each(testDatabaseKinds())('identity with tokens on %s', (kind) => {
  const bootstrap = `boot_${randomBytes(24).toString('hex')}`;
  const tokens: Record<string, string> = {};
  let database: TestDatabase;
  let server: TestApp;

  async function as(role: string | undefined, method: string, path: string, body?: unknown) {
    return http(method, `${server.url}${path}`, body, role ? bearer(tokens[role]!) : {});
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startTestApp(database.db, { BATON_BOOTSTRAP_TOKEN: bootstrap });
    tokens.admin = bootstrap;
    for (const role of ['viewer', 'agent', 'operator']) {
      const created = await http('POST', `${server.url}/api/v1/tokens`, { name: `t-${role}`, role }, bearer(bootstrap));
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: `t-${role}`, role, revokedAt: null });
      tokens[role] = created.body.token;
    }
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('answers 401 with the common error body without a token or with an unknown one', async () => {
    const missing = await as(undefined, 'GET', '/api/v1/runs');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/missing bearer token/) });
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const unknown = await http('GET', `${server.url}/api/v1/runs`, undefined, bearer('baton_nope'));
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toMatch(/invalid or revoked/);
  });

  it('keeps health, readiness and metrics open', async () => {
    expect((await as(undefined, 'GET', '/health')).status).toBe(200);
    expect((await as(undefined, 'GET', '/ready')).status).toBe(200);
    expect((await as(undefined, 'GET', '/metrics')).status).toBe(200);
  });

  it('accepts the bootstrap token as admin and stores it only as a hash', async () => {
    expect((await as('admin', 'GET', '/api/v1/whoami')).body).toMatchObject({ name: 'bootstrap', role: 'admin' });
    const { rows } = await database.db.query<{ n: number }>(
      `select count(*)::int as n from api_tokens where token_hash = encode(sha256(convert_to($1::text, 'utf8')), 'hex')`,
      [bootstrap],
    );
    expect(rows[0]!.n).toBe(1);
    const dump = await database.db.query(`select * from api_tokens`);
    expect(JSON.stringify(dump.rows)).not.toContain(bootstrap);
  });

  it('lets a viewer read but not submit, steer or administer', async () => {
    expect((await as('viewer', 'GET', '/api/v1/runs')).status).toBe(200);
    expect((await as('viewer', 'GET', '/api/v1/definitions')).status).toBe(200);
    const submit = await as('viewer', 'POST', '/api/v1/runs', longRun);
    expect(submit.status).toBe(403);
    expect(submit.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.stringMatching(/needs runs.submit/) });
    expect((await as('viewer', 'GET', '/api/v1/tokens')).status).toBe(403);
  });

  it('lets an agent submit runs but not cancel them, and an operator cancel but not submit', async () => {
    const run = await as('agent', 'POST', '/api/v1/runs', longRun);
    expect(run.status).toBe(201);
    expect((await as('agent', 'GET', `/api/v1/runs/${run.body.id}`)).status).toBe(200);
    expect((await as('agent', 'POST', `/api/v1/runs/${run.body.id}/cancel`)).status).toBe(403);
    expect((await as('operator', 'POST', '/api/v1/runs', longRun)).status).toBe(403);
    const cancelled = await as('operator', 'POST', `/api/v1/runs/${run.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
  });

  it('keeps agent, definition and token writes for admins', async () => {
    const agent = { name: 'remote', kind: 'http', url: 'http://127.0.0.1:9/agent' };
    expect((await as('operator', 'POST', '/api/v1/agents', agent)).status).toBe(403);
    expect((await as('admin', 'POST', '/api/v1/agents', agent)).status).toBe(201);
    expect((await as('operator', 'DELETE', '/api/v1/agents/remote')).status).toBe(403);
    expect((await as('agent', 'POST', '/api/v1/definitions', { name: 'd', version: '1', steps: [] })).status).toBe(403);
    expect((await as('operator', 'POST', '/api/v1/tokens', { name: 'x', role: 'admin' })).status).toBe(403);
    const list = await as('admin', 'GET', '/api/v1/tokens');
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: any) => t.name).sort()).toEqual(['bootstrap', 't-agent', 't-operator', 't-viewer']);
    expect(JSON.stringify(list.body)).not.toMatch(/token_hash|baton_/);
  });

  it('tells the handler who is calling', async () => {
    expect((await as('operator', 'GET', '/api/v1/whoami')).body).toEqual({
      tokenId: expect.any(String),
      name: 't-operator',
      role: 'operator',
    });
  });

  it('records when a token was last used', async () => {
    await as('viewer', 'GET', '/api/v1/runs');
    await waitFor(async () => {
      const { rows } = await database.db.query<{ used: boolean }>(
        `select last_used_at is not null as used from api_tokens where name = 't-viewer'`,
      );
      return rows[0]?.used;
    }, { what: 'last_used_at' });
  });

  it('refuses a token once it is revoked', async () => {
    const created = await as('admin', 'POST', '/api/v1/tokens', { name: 'short-lived', role: 'viewer' });
    expect((await http('GET', `${server.url}/api/v1/runs`, undefined, bearer(created.body.token))).status).toBe(200);
    const revoked = await as('admin', 'DELETE', '/api/v1/tokens/short-lived');
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await http('GET', `${server.url}/api/v1/runs`, undefined, bearer(created.body.token))).status).toBe(401);
    expect((await as('admin', 'DELETE', '/api/v1/tokens/short-lived')).status).toBe(404);
  });

  it('validates new tokens and refuses a second live token with the same name', async () => {
    const bad = await as('admin', 'POST', '/api/v1/tokens', { name: 'has space', role: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path).sort()).toEqual(['name', 'role']);
    expect((await as('admin', 'POST', '/api/v1/tokens', { name: 't-viewer', role: 'viewer' })).status).toBe(409);
    expect((await as('admin', 'POST', '/api/v1/tokens', { name: 'bootstrap', role: 'admin' })).status).toBe(400);
  });

  it('guards the WebSocket upgrade and the event streams, accepting ?access_token= there only', async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/api/v1/ws`;
    const open = (url: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(url, { headers });
        socket.on('open', () => {
          socket.close();
          resolve(101);
        });
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('error', () => resolve(-1));
      });
    expect(await open(wsUrl)).toBe(401);
    expect(await open(`${wsUrl}?access_token=baton_nope`)).toBe(401);
    expect(await open(`${wsUrl}?access_token=${tokens.viewer}`)).toBe(101);
    expect(await open(wsUrl, bearer(tokens.operator!))).toBe(101);

    const controller = new AbortController();
    const stream = await fetch(`${server.url}/api/v1/events?access_token=${tokens.viewer}`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    controller.abort();
    expect((await fetch(`${server.url}/api/v1/events`)).status).toBe(401);
    expect((await as(undefined, 'GET', `/api/v1/runs?access_token=${tokens.viewer}`)).status).toBe(401);
  });

  it('asks for a viewer token on /metrics when BATON_METRICS_AUTH is true', async () => {
    const second = await startTestApp(database.db, { BATON_BOOTSTRAP_TOKEN: bootstrap, BATON_METRICS_AUTH: 'true' });
    try {
      expect((await http('GET', `${second.url}/metrics`)).status).toBe(401);
      expect((await http('GET', `${second.url}/metrics`, undefined, bearer(tokens.viewer!))).status).toBe(200);
      expect((await http('GET', `${second.url}/health`)).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});

describe('the baton CLI', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'baton-cli-'));
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { BATON_DATA_DIR: dataDir }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err: err.join('\n') };
  }

  it('creates, lists and revokes tokens in the configured data folder, and the server honours them', async () => {
    const created = await cli('token', 'create', '--name', 'ci', '--role', 'operator');
    expect(created.code).toBe(0);
    expect(created.out).toHaveLength(1);
    const token = created.out[0]!;
    expect(token).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
    const other = (await cli('token', 'create', '--name', 'dash', '--role', 'viewer')).out[0]!;

    const listed = await cli('token', 'list');
    expect(listed.code).toBe(0);
    expect(listed.out[0]).toMatch(/^NAME\s+ROLE\s+STATUS/);
    expect(listed.out.join('\n')).toMatch(/ci\s+operator\s+active/);
    expect(listed.out.join('\n')).not.toContain(token);

    expect((await cli('token', 'revoke', 'ci')).code).toBe(0);
    expect((await cli('token', 'list')).out.join('\n')).toMatch(/ci\s+operator\s+revoked/);
    expect((await cli('token', 'revoke', 'ci')).code).toBe(1);

    const db = await PgliteDatabase.open(join(dataDir, 'pgdata'));
    const server = await startTestApp(db);
    try {
      expect((await http('GET', `${server.url}/api/v1/runs`)).status).toBe(401);
      expect((await http('GET', `${server.url}/api/v1/runs`, undefined, bearer(token))).status).toBe(401);
      expect((await http('GET', `${server.url}/api/v1/runs`, undefined, bearer(other))).status).toBe(200);
    } finally {
      await server.close();
      await db.close();
    }
  });

  it('explains bad input and exits non-zero', async () => {
    const bad = await cli('token', 'create', '--name', 'x', '--role', 'root');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/role: must be one of viewer, agent, operator, admin/);
    expect((await cli('token', 'frobnicate')).code).toBe(2);
  });
});
