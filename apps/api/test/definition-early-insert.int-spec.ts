import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';

/**
 * Issue 17: above 1,000 steps, on Postgres, a definition's insert starts before its
 * validation ends and is committed only if the validated body makes exactly that row.
 * Whatever the validation or the store decides, the outcome is the ordinary one: 400 with
 * nothing stored, 409 with the stored version untouched, one row for one version.
 */
function largeDefinition(name: string, steps = 1_500, version = '1'): { name: string; version: string; steps: Array<Record<string, unknown>> } {
  return {
    name,
    version,
    steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, agent: 'builtin:echo', ...(i > 0 ? { depends_on: [`s${i - 1}`] } : {}), input: { n: i } })),
  };
}

describe.each(testDatabaseKinds())('a large definition stored while it is validated, on %s', (kind) => {
  const ctx = useTestServer(kind);
  const post = (body: unknown) => http('POST', `${ctx.url}/api/v1/definitions`, body);
  const rows = async (name: string) =>
    (
      await ctx.database.db.query<{ version: string; content_hash: string; step_count: number; revision: string }>(
        'select version, content_hash, step_count, revision::text from orchestration_definitions where name = $1::text order by revision',
        [name],
      )
    ).rows;
  const lastRevision = async () =>
    Number((await ctx.database.db.query<{ r: string }>('select max(revision)::text as r from orchestration_definitions')).rows[0]!.r ?? 0);

  it('refuses an invalid large body with 400 and leaves nothing of the insert it had started', async () => {
    expect((await post(largeDefinition('before-bad'))).status).toBe(201);
    const before = await lastRevision();

    const bad = largeDefinition('bad-late');
    bad.steps[1_400]!.depends_on = ['s1401']; // a cycle near the end: found only by the graph check
    const refused = await post(bad);
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([expect.objectContaining({ path: expect.stringMatching(/^steps\[14\d\d\]/) })]);
    expect(await rows('bad-late')).toEqual([]);

    // The next definition stored takes the next revision but one on Postgres: the refused
    // body's insert had taken a revision (identity values are not given back on rollback),
    // so it really ran, and was rolled back. PGlite inserts only after validating.
    expect((await post(largeDefinition('after-bad'))).status).toBe(201);
    const [after] = await rows('after-bad');
    expect(Number(after!.revision) - before).toBe(kind === 'postgres' ? 2 : 1);
  });

  it('refuses a large definition that starts itself, and stores nothing', async () => {
    const ouroboros = largeDefinition('ouroboros-large');
    ouroboros.steps.push({ id: 'again', type: 'orchestration', definition: { name: 'ouroboros-large' } });
    const refused = await post(ouroboros);
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([{ path: 'steps[1500].definition', message: expect.stringMatching(/starts "ouroboros-large" again/) }]);
    expect(await rows('ouroboros-large')).toEqual([]);
  });

  it('answers 200 for the same body again and 409 for a different one, leaving the stored version as it was', async () => {
    const first = largeDefinition('kept');
    const created = await post(first);
    expect(created.status).toBe(201);
    const [stored] = await rows('kept');

    const again = await post(first);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);

    const changed = largeDefinition('kept');
    changed.steps[5]!.input = { n: 'changed' };
    const conflict = await post(changed);
    expect(conflict.status).toBe(409);
    expect(await rows('kept')).toEqual([stored]);
    const read = await http('GET', `${ctx.url}/api/v1/definitions/kept/versions/1`);
    expect(read.body.definition).toEqual(first);
  });

  it('stores one row for one version POSTed twice at once, and both of two new versions sent at once', async () => {
    const body = largeDefinition('raced');
    const answers = await Promise.all([post(body), post(body)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(answers[0]!.body.id).toBe(answers[1]!.body.id);
    expect(await rows('raced')).toHaveLength(1);

    const both = await Promise.all([post(largeDefinition('pair', 1_500, '1')), post(largeDefinition('pair', 1_500, '2'))]);
    expect(both.map((a) => a.status)).toEqual([201, 201]);
    expect((await rows('pair')).map((r) => [r.version, r.step_count])).toEqual(expect.arrayContaining([['1', 1_500], ['2', 1_500]]));
    for (const version of ['1', '2']) {
      const read = await http('GET', `${ctx.url}/api/v1/definitions/pair/versions/${version}`);
      expect(read.body.definition).toEqual(largeDefinition('pair', 1_500, version));
    }
  });

  it('stores a body whose fields the validation normalizes (a numeric version) as before', async () => {
    const body = { ...largeDefinition('numeric'), version: 3 };
    const created = await post(body);
    expect(created.status).toBe(201);
    expect(created.body.version).toBe('3');
    expect((await rows('numeric')).map((r) => r.version)).toEqual(['3']);
  });
});
