import { PgDatabase } from '@baton/db';
import { waitFor } from '@baton/testing';
import { postgresBinDir, startOwnPostgres, type OwnPostgres } from './support/own-postgres.js';
import { http, startTestApp, type TestApp } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

/**
 * Issue 16: Baton enters degraded mode by itself when its database goes away and leaves it
 * when the database is back (a Postgres server this test owns, stopped and started under it).
 */
const enabled = !!process.env.TEST_DATABASE_URL && !!postgresBinDir();
const describeIfPostgres = enabled ? describe : describe.skip;
if (!enabled) console.warn('degraded-outage.int-spec: skipped, needs TEST_DATABASE_URL and the Postgres binaries');

describeIfPostgres('automatic degraded mode during a database outage (own Postgres)', () => {
  let server: OwnPostgres;
  let db: PgDatabase;
  let baton: TestApp;

  beforeAll(async () => {
    server = await startOwnPostgres();
    db = new PgDatabase(server.url, 4);
    baton = await startTestApp(db, { BATON_POLL_INTERVAL_MS: '300' });
  }, 60_000);
  afterAll(async () => {
    await baton?.close();
    await db?.close();
    await server?.destroy();
  });

  it('is degraded while the database is stopped, refuses writes with the reason, and is normal again after', async () => {
    expect((await http('GET', `${baton.url}/health`)).body.mode).toBe('normal');
    await server.stop('fast');
    try {
      await waitFor(async () => (await http('GET', `${baton.url}/health`)).body.mode === 'degraded', { what: 'degraded mode', timeoutMs: 15_000 });
      const health = await http('GET', `${baton.url}/health`);
      expect(health.status).toBe(200);
      expect(health.body.reason).toMatch(/^database unreachable: /);
      // Requests that need the database (the access check, any read or write) answer 503.
      const write = await http('POST', `${baton.url}/api/v1/runs`, { plan: { steps: [{ id: 'x', agent: 'builtin:echo' }] } });
      expect(write.status).toBe(503);
      expect(write.body.message).toContain('the database is unavailable');
      expect((await http('GET', `${baton.url}/metrics`)).body).toContain('baton_system_mode{mode="degraded"} 1');
    } finally {
      await server.start();
    }
    await waitFor(async () => (await http('GET', `${baton.url}/health`)).body.mode === 'normal', { what: 'normal mode again', timeoutMs: 20_000 });
    expect((await http('GET', `${baton.url}/api/v1/system`)).body).toMatchObject({ mode: 'normal', automatic: null });
    const run = await startPlan(baton.url, { steps: [{ id: 'x', agent: 'builtin:echo' }] });
    expect((await waitForRun(baton.url, run.id)).status).toBe('completed');
    const changes = await db.query<{ data: { mode: string } }>(`select data from baton_system_events where type = 'system.mode.changed' order by id`);
    // Entering degraded could not be written (no database); leaving it was.
    expect(changes.rows.map((r) => r.data.mode)).toContain('normal');
  }, 60_000);
});
