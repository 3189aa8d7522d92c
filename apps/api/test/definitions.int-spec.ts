import { OrchestrationDefinitionService } from '@baton/definitions';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { http, startTestApp, type TestApp } from './support/test-app.js';

const yamlHeaders = { 'content-type': 'application/yaml' };

function pipeline(name: string, version: unknown = '1.0.0', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    version,
    description: 'two steps',
    steps: [
      { id: 'fetch', agent: 'builtin:echo', input: { q: '{{ input.q }}' } },
      { id: 'summarize', agent: 'builtin:transform', depends_on: ['fetch'], input: { text: '{{ steps.fetch.output.q }}' } },
    ],
    ...extra,
  };
}

const yamlPipeline = `
name: yaml-pipeline
version: 1.0
owner: acme
orchestration:
  execution:
    max_parallel: 2
steps:
  - id: a
    agent: builtin:delay
    input: { ms: 1 }
  - id: b
    agent: builtin:echo
    depends_on: [a]
    input: "{{ steps.a.output }}"
`;

describe.each(testDatabaseKinds())('definitions over HTTP on %s', (kind) => {
  let database: TestDatabase;
  let server: TestApp;
  const url = (path: string): string => `${server.url}/api/v1/definitions${path}`;
  const count = async (): Promise<number> =>
    Number((await database.db.query<{ n: string }>('select count(*)::text as n from orchestration_definitions')).rows[0]!.n);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startTestApp(database.db);
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('creates a JSON definition with 201 and returns the documented shape', async () => {
    const body = pipeline('json-pipeline');
    const response = await http('POST', url(''), body);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      owner: '',
      name: 'json-pipeline',
      version: '1.0.0',
      revision: expect.any(Number),
      description: 'two steps',
      source: 'saved',
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      stepCount: 2,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      definition: body,
    });
  });

  it('answers 200 with the stored version when the same body is posted again, and 1 equals "1"', async () => {
    const first = await http('POST', url(''), pipeline('again', 1));
    const second = await http('POST', url(''), pipeline('again', '1'));
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.contentHash).toBe(first.body.contentHash);
  });

  it('refuses a different body for a stored version with 409 and keeps the stored one', async () => {
    await http('POST', url(''), pipeline('conflicted', '2'));
    const changed = pipeline('conflicted', '2', { description: 'changed' });
    const response = await http('POST', url(''), changed);
    expect(response.status).toBe(409);
    expect(response.body.message).toMatch(/version "2" of definition "conflicted" already exists/);
    expect((await http('GET', url('/conflicted/versions/2'))).body.description).toBe('two steps');
  });

  it('accepts YAML, keeping the version as written and the owner from the body', async () => {
    const created = await http('POST', url(''), yamlPipeline, yamlHeaders);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ owner: 'acme', name: 'yaml-pipeline', version: '1.0', stepCount: 2 });
    const again = await http('POST', url(''), yamlPipeline, yamlHeaders);
    expect(again.status).toBe(200);
    const read = await http('GET', url('/yaml-pipeline/versions/1.0?owner=acme'));
    expect(read.body.definition.orchestration).toEqual({ execution: { max_parallel: 2 } });
    expect((await http('GET', url('/yaml-pipeline'))).status).toBe(404);
  });

  it('answers 400 with every bad path and stores nothing', async () => {
    const before = await count();
    const response = await http('POST', url(''), {
      name: 'broken',
      version: '1',
      colour: 'blue',
      steps: [
        { id: 'a', agent: 'no-such-agent', depends_on: ['c'] },
        { id: 'b', agent: 'builtin:echo', depends_on: ['a', 'ghost'], input: { q: '{{ steps.c.output' } },
        { id: 'c', agent: 'builtin:echo', depends_on: ['b'] },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(response.body.details).toEqual(
      expect.arrayContaining([
        { path: 'colour', message: expect.stringMatching(/unknown key/) },
        { path: 'steps[1].depends_on[1]', message: 'unknown step "ghost"' },
        { path: 'steps[1].input.q', message: expect.stringMatching(/unclosed/) },
        { path: 'steps[0].depends_on[0]', message: 'cycle: a -> b -> c -> a' },
        { path: 'steps[0].agent', message: 'unknown agent "no-such-agent"' },
      ]),
    );
    expect(await count()).toBe(before);
  });

  it('answers 400 naming the line of a YAML syntax error', async () => {
    const response = await http('POST', url(''), 'name: x\nversion: 1\nname: y\n', yamlHeaders);
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([{ path: 'body', message: expect.stringMatching(/at line 3/) }]);
  });

  it('serves the latest version by revision, each version, and 404s for unknown ones', async () => {
    await http('POST', url(''), pipeline('versioned', '10'));
    expect((await http('GET', url('/versioned'))).body.version).toBe('10');
    // "latest" follows the storing order, not the version string, and is never served stale.
    await http('POST', url(''), pipeline('versioned', '9', { description: 'stored last' }));
    const latest = await http('GET', url('/versioned'));
    expect(latest.body).toMatchObject({ version: '9', description: 'stored last' });
    expect((await http('GET', url('/versioned/versions/10'))).body.version).toBe('10');
    const missingVersion = await http('GET', url('/versioned/versions/11'));
    expect(missingVersion.status).toBe(404);
    expect(missingVersion.body.message).toMatch(/definition "versioned" version 11 was not found/);
    expect((await http('GET', url('/nothing-here'))).status).toBe(404);
  });

  it('lists the latest version of each definition, paged by cursor', async () => {
    const owner = `lister-${kind}`;
    for (const [name, version] of [['l-a', '1'], ['l-a', '2'], ['l-b', '1'], ['l-c', '1']]) {
      expect((await http('POST', url(''), pipeline(name!, version, { owner }))).status).toBe(201);
    }
    const first = await http('GET', url(`?owner=${owner}&limit=2`));
    expect(first.body.items.map((d: { name: string; version: string }) => `${d.name}@${d.version}`)).toEqual(['l-a@2', 'l-b@1']);
    const second = await http('GET', url(`?owner=${owner}&limit=2&cursor=${first.body.nextCursor}`));
    expect(second.body).toMatchObject({ items: [{ name: 'l-c' }], nextCursor: null });
    expect((await http('GET', url('?limit=0'))).status).toBe(400);
    expect((await http('GET', url('?cursor=bogus'))).status).toBe(400);
  });

  it('stores one row when the same version is posted concurrently', async () => {
    const body = pipeline('raced', '1');
    const responses = await Promise.all(Array.from({ length: 6 }, () => http('POST', url(''), body)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    const rows = await database.db.query(`select id from orchestration_definitions where name = $1::text`, ['raced']);
    expect(rows.rows).toHaveLength(1);
  });

  it('stores inline plans once per content, unlisted, and plans their steps', async () => {
    const service = server.app.get(OrchestrationDefinitionService);
    const plan = { steps: [{ id: 'b', agent: 'builtin:echo', depends_on: ['a'] }, { id: 'a', agent: 'builtin:echo' }] };
    const first = await service.registerInline(plan, 'inline-owner');
    const second = await service.registerInline(JSON.parse(JSON.stringify(plan)), 'inline-owner');
    expect(second.id).toBe(first.id);
    expect(first).toMatchObject({ source: 'inline', owner: 'inline-owner', name: `plan-${first.contentHash.slice(0, 12)}` });
    expect(first.version).toBe(first.contentHash.slice(0, 12));
    expect(first.steps.map((s) => s.id)).toEqual(['a', 'b']);
    expect((await service.getById(first.id)).steps[1]!.dependsOn).toEqual(['a']);
    expect((await http('GET', url('?owner=inline-owner'))).body.items).toEqual([]);
    await expect(service.getById('not-a-uuid')).rejects.toMatchObject({ kind: 'not_found' });
  });
});
