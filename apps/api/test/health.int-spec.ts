import { testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';

describe.each(testDatabaseKinds())('health and readiness on %s', (kind) => {
  const ctx = useTestServer(kind);

  it('reports ready once migrations are applied', async () => {
    const ready = await http('GET', `${ctx.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', database: kind });
    expect((await http('GET', `${ctx.url}/health`)).body).toEqual({ status: 'ok', mode: 'normal', reason: null });
  });

  it('reports not ready when a migration is missing', async () => {
    await ctx.database.db.query(`delete from baton_migrations where name = (select max(name) from baton_migrations)`);
    const ready = await http('GET', `${ctx.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.pendingMigrations).toHaveLength(1);
  });

  it('answers unknown routes with the common error body', async () => {
    const response = await http('GET', `${ctx.url}/nope`);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});
