import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { http, startTestApp, type TestApp } from './support/test-app.js';

const researcher = {
  name: 'researcher',
  kind: 'http',
  url: 'https://research.example/run',
  capabilities: ['research', 'summarize'],
  maxConcurrency: 3,
  timeoutSeconds: 60,
  headers: {
    Authorization: 'Bearer s3cret',
    'x-api-key': 'k-123',
    'x-auth-key': 'xa-456',
    'private-key': 'pk-789',
    'ocp-apim-subscription-key': 'ocp-000',
    'x-team': 'blue',
  },
};

describe.each(testDatabaseKinds())('agents API on %s', (kind) => {
  let database: TestDatabase;
  let server: TestApp;
  const api = (method: string, path: string, body?: unknown) => http(method, `${server.url}/api/v1/agents${path}`, body);
  const storedNames = async (): Promise<string[]> =>
    (await database.db.query<{ name: string }>('select name from agents order by name')).rows.map((r) => r.name);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startTestApp(database.db);
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('registers an agent with 201 and answers header names only, never values', async () => {
    const response = await api('POST', '', researcher);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      name: 'researcher',
      kind: 'http',
      url: 'https://research.example/run',
      capabilities: ['research', 'summarize'],
      maxConcurrency: 3,
      timeoutSeconds: 60,
      headers: ['Authorization', 'ocp-apim-subscription-key', 'private-key', 'x-api-key', 'x-auth-key', 'x-team'],
      trustedOrigins: [],
    });
    // No value, credential-looking or not, in any answer about the agent.
    const answers = [response.body, (await api('GET', '/researcher')).body, (await api('GET', '')).body];
    for (const value of Object.values(researcher.headers)) expect(JSON.stringify(answers)).not.toContain(value);
    expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
    // Redaction is for the API only: the agent still receives the real credential.
    const stored = await database.db.query<{ headers: Record<string, string> }>(
      `select headers from agents where name = 'researcher'`,
    );
    expect(stored.rows[0].headers.Authorization).toBe('Bearer s3cret');
  });

  it('updates on re-registration with 200, keeping id and creation time', async () => {
    const before = (await api('GET', '/researcher')).body;
    const response = await api('POST', '', { ...researcher, url: 'https://research.example/v2', capabilities: ['research'] });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: before.id, createdAt: before.createdAt, url: 'https://research.example/v2' });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect((await api('GET', '/researcher')).body.capabilities).toEqual(['research']);
  });

  it.each([
    ['url', { name: 'bad-url', kind: 'http', url: 'ftp://files.example', capabilities: [] }],
    ['url', { name: 'no-url', kind: 'a2a', capabilities: [] }],
    ['kind', { name: 'bad-kind', kind: 'grpc', url: 'http://a.example', capabilities: [] }],
    ['capabilities[1]', { name: 'bad-cap', kind: 'http', url: 'http://a.example', capabilities: ['ok', 42] }],
    ['name', { name: 'builtin:mine', kind: 'http', url: 'http://a.example', capabilities: [] }],
    ['color', { name: 'extra', kind: 'http', url: 'http://a.example', capabilities: [], color: 'red' }],
  ])('refuses a bad %s with 400 naming it, storing nothing', async (path, body) => {
    const before = await storedNames();
    const response = await api('POST', '', body);
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(await storedNames()).toEqual(before);
  });

  it('lists registered and built-in agents by name, and filters by capability', async () => {
    await api('POST', '', { name: 'writer', kind: 'http', url: 'http://writer.example', capabilities: ['write', 'summarize'] });
    await api('POST', '', { name: 'editor', kind: 'a2a', url: 'http://editor.example/a2a', capabilities: ['summarize'] });

    const all = await api('GET', '');
    expect(all.status).toBe(200);
    const names = all.body.items.map((a: { name: string }) => a.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['researcher', 'writer', 'editor', 'builtin:echo', 'builtin:delay', 'builtin:fail', 'builtin:transform']));
    expect(all.body.items.find((a: { name: string }) => a.name === 'builtin:echo')).toMatchObject({ kind: 'builtin', url: null, createdAt: null });

    const summarizers = await api('GET', '?capability=summarize');
    expect(summarizers.body.items.map((a: { name: string }) => a.name)).toEqual(['editor', 'writer']);
    expect((await api('GET', '?capability=nobody-has-this')).body.items).toEqual([]);
  });

  it('gets one agent by name, built-ins included, and 404s an unknown one', async () => {
    expect((await api('GET', '/writer')).body).toMatchObject({ name: 'writer', capabilities: ['write', 'summarize'] });
    expect((await api('GET', '/builtin:delay')).body).toMatchObject({ name: 'builtin:delay', kind: 'builtin' });
    const missing = await api('GET', '/nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('nobody');
  });

  it('deletes with 204, after which the agent is gone (404) and delete again is 404', async () => {
    expect((await api('DELETE', '/writer')).status).toBe(204);
    expect((await api('GET', '/writer')).status).toBe(404);
    expect((await api('DELETE', '/writer')).status).toBe(404);
    expect(await storedNames()).not.toContain('writer');
  });

  it('refuses to delete a built-in agent', async () => {
    expect((await api('DELETE', '/builtin:echo')).status).toBe(409);
    expect((await api('GET', '/builtin:echo')).status).toBe(200);
  });
});
