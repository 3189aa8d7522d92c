import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';

/** Issue 17: a large definition is stored over HTTP and answered with a summary, not its body. */
function layeredDefinition(name: string, steps: number, width = 100): { name: string; version: string; steps: Array<Record<string, unknown>> } {
  return {
    name,
    version: '1',
    steps: Array.from({ length: steps }, (_, i) => {
      const layer = Math.floor(i / width);
      const deps = layer === 0 ? [] : [`s${(layer - 1) * width + (i % width)}`, `s${(layer - 1) * width + ((i + 7) % width)}`];
      return { id: `s${i}`, agent: 'builtin:echo', ...(deps.length ? { depends_on: deps } : {}), input: { n: i } };
    }),
  };
}

describe.each(testDatabaseKinds())('large definition answers on %s', (kind) => {
  const ctx = useTestServer(kind);
  const url = (path = ''): string => `${ctx.url}/api/v1/definitions${path}`;
  const stored = async (name: string): Promise<number> =>
    Number((await ctx.database.db.query<{ n: string }>('select count(*)::text as n from orchestration_definitions where name = $1::text', [name])).rows[0]!.n);

  it('stores a 10,000-step definition and answers 201 with a summary; GET returns every step', async () => {
    const definition = layeredDefinition('big', 10_000);
    const created = await http('POST', url(), definition);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      owner: '',
      name: 'big',
      version: '1',
      revision: expect.any(Number),
      description: null,
      source: 'saved',
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      stepCount: 10_000,
      createdAt: expect.any(String),
      links: { self: '/api/v1/definitions/big/versions/1', versions: '/api/v1/definitions/big/versions' },
    });
    expect(created.headers.get('preference-applied')).toBeNull();

    const read = await http('GET', `${ctx.url}${created.body.links.self}`);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(created.body.id);
    expect(read.body.contentHash).toBe(created.body.contentHash);
    expect(read.body.definition).toEqual(definition);

    // The same body again: 200, the same stored version, still a summary.
    const again = await http('POST', url(), definition);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
  });

  it('answers a bad step deep in a large body with 400 naming its path, and stores nothing', async () => {
    const definition = layeredDefinition('big-bad', 10_000);
    (definition.steps[9876]!.depends_on as unknown[])[0] = 42;
    const refused = await http('POST', url(), definition);
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([{ path: 'steps[9876].depends_on[0]', message: 'must be a step id (string), got a number' }]);
    expect(await stored('big-bad')).toBe(0);
    expect((await http('GET', url('/big-bad'))).status).toBe(404);
  });

  it('answers a hostile string deep in a large body with 400 naming its path, and stores nothing', async () => {
    const definition = layeredDefinition('big-nul', 10_000);
    definition.steps[9321]!.input = { text: 'a\u0000b' };
    const refused = await http('POST', url(), definition);
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([{ path: 'steps[9321].input.text', message: expect.stringMatching(/NUL/) }]);
    expect(await stored('big-nul')).toBe(0);
  });

  it('follows Prefer: return=minimal for a small definition and return=representation for a large one', async () => {
    const small = layeredDefinition('small-minimal', 3);
    const minimal = await http('POST', url(), small, { prefer: 'return=minimal' });
    expect(minimal.status).toBe(201);
    expect(minimal.headers.get('preference-applied')).toBe('return=minimal');
    expect(minimal.body.definition).toBeUndefined();
    expect(minimal.body).toMatchObject({ name: 'small-minimal', stepCount: 3, links: { self: '/api/v1/definitions/small-minimal/versions/1' } });

    const large = layeredDefinition('large-full', 1_001);
    const full = await http('POST', url(), large, { prefer: 'respond-async, return=representation' });
    expect(full.status).toBe(201);
    expect(full.headers.get('preference-applied')).toBe('return=representation');
    expect(full.body.definition).toEqual(large);
  });

  it('keeps the whole answer for a definition of exactly 1,000 steps', async () => {
    const definition = layeredDefinition('thousand', 1_000);
    const created = await http('POST', url(), definition);
    expect(created.status).toBe(201);
    expect(created.body.links).toBeUndefined();
    expect(created.body.definition).toEqual(definition);
  });

  it('names the owner in the links of an owned definition', async () => {
    const created = await http('POST', url(), { ...layeredDefinition('owned.big', 1), owner: 'acme' }, { prefer: 'return=minimal' });
    expect(created.status).toBe(201);
    expect(created.body.links).toEqual({ self: '/api/v1/definitions/owned.big/versions/1?owner=acme', versions: '/api/v1/definitions/owned.big/versions?owner=acme' });
    expect((await http('GET', `${ctx.url}${created.body.links.self}`)).body.definition.owner).toBe('acme');
  });
});
