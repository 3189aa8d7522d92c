import pg from 'pg';
import { SystemModeService } from '@baton/ops';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, startTestApp, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

/** Issue 16: modes shared in Postgres, enforced by the admission and dispatch gates. */
describe.each(testDatabaseKinds())('system modes on %s', (kind) => {
  const ctx = useTestServer(kind);
  const setMode = (mode: string, reason = `test sets ${mode}`) => http('POST', `${ctx.url}/api/v1/system/mode`, { mode, reason });

  afterEach(async () => {
    await setMode('normal', 'test cleanup');
  });

  it('starts normal and shows the mode in /api/v1/system, /health and /metrics', async () => {
    const system = await http('GET', `${ctx.url}/api/v1/system`);
    expect(system.status).toBe(200);
    expect(system.body).toMatchObject({ mode: 'normal', automatic: null, stored: { mode: 'normal' } });
    expect(system.body.heartbeat).toMatchObject({ enabled: false });
    const metrics = await http('GET', `${ctx.url}/metrics`);
    expect(metrics.body).toContain('baton_system_mode{mode="normal"} 1');
    expect(metrics.body).toContain('baton_system_mode{mode="safe"} 0');
  });

  it('refuses a mode without a reason or an unknown mode, naming the field, and changes nothing', async () => {
    const noReason = await http('POST', `${ctx.url}/api/v1/system/mode`, { mode: 'safe' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toContain('reason');
    const unknown = await setMode('sleepy');
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('mode must be one of normal, safe, degraded, draining');
    expect((await http('GET', `${ctx.url}/api/v1/system`)).body.mode).toBe('normal');
  });

  it('safe mode admits no new run and dispatches nothing new, but lets the running step finish', async () => {
    const run = await startPlan(ctx.url, {
      steps: [
        { id: 'a', agent: 'builtin:delay', input: { ms: 600 } },
        { id: 'b', agent: 'builtin:echo', depends_on: ['a'] },
      ],
    });
    await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'a').status === 'running');
    const set = await setMode('safe', 'maintenance window');
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ mode: 'safe', reason: 'maintenance window', stored: { setBy: 'anonymous' } });

    const refused = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'x', agent: 'builtin:echo' }] } });
    expect(refused.status).toBe(503);
    expect(refused.body.message).toBe('Baton is in safe mode and admits no new runs: maintenance window');
    expect((await http('GET', `${ctx.url}/health`)).body).toEqual({ status: 'ok', mode: 'safe', reason: 'maintenance window' });

    // The running step finishes; its successor is queued but not dispatched.
    const parked = await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'a').status === 'completed');
    expect(stepOf(parked, 'b').status).toBe('queued');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // more than a poll interval: still not claimed
    expect(stepOf((await http('GET', `${ctx.url}/api/v1/runs/${run.id}`)).body, 'b').status).toBe('queued');

    // Back to normal: dispatch opens at once and the run completes.
    await setMode('normal', 'done');
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
    const events = (await http('GET', `${ctx.url}/api/v1/system`)).body.events as Array<{ type: string; data: any }>;
    expect(events.filter((e) => e.type === 'system.mode.set').map((e) => e.data.mode).slice(0, 2)).toEqual(['normal', 'safe']);
  });

  it('degraded mode is read-only: writes answer 503 with the reason, reads and system routes go on', async () => {
    await setMode('degraded', 'investigating a disk alarm');
    const write = await http('POST', `${ctx.url}/api/v1/agents`, { name: 'late', kind: 'http', url: 'http://127.0.0.1:9/x' });
    expect(write.status).toBe(503);
    expect(write.body.message).toContain('degraded (read-only) mode: investigating a disk alarm');
    expect((await http('GET', `${ctx.url}/api/v1/agents/late`)).status).toBe(404);
    expect((await http('GET', `${ctx.url}/api/v1/runs`)).status).toBe(200);
    expect((await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'x', agent: 'builtin:echo' }] } })).status).toBe(503);
    expect((await http('POST', `${ctx.url}/api/v1/system/heartbeat`)).status).toBe(200);
    expect((await setMode('normal', 'disk fine')).body.mode).toBe('normal');
    expect((await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'x', agent: 'builtin:echo' }] } })).status).toBe(201);
  });

  it('shares the mode with another instance on the same database', async () => {
    const other = await startTestApp(ctx.database.db, { BATON_INSTANCE_ID: 'second' });
    try {
      expect((await http('GET', `${other.url}/health`)).body.mode).toBe('normal');
      await setMode('safe', 'shared');
      // NOTIFY on Postgres; on PGlite (one process) the same NOTIFY reaches both listeners.
      await waitFor(async () => (await http('GET', `${other.url}/health`)).body.mode === 'safe', { what: 'the second instance to see safe' });
      expect((await http('POST', `${other.url}/api/v1/runs`, { plan: { steps: [{ id: 'x', agent: 'builtin:echo' }] } })).status).toBe(503);
    } finally {
      await other.close();
    }
  });

  it('enters degraded by itself while the database refuses writes, and leaves it when it takes them again', async () => {
    const modes = ctx.server.app.get(SystemModeService);
    // One session on PGlite; on Postgres every pooled session must refuse, so the database default changes.
    const name = (await ctx.database.db.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
    const readOnly = async (on: boolean) => {
      if (kind === 'pglite') await ctx.database.db.exec(`set default_transaction_read_only = ${on ? 'on' : 'off'}`);
      else {
        // From outside (a read-only session cannot undo it); pooled sessions keep their
        // setting, so all are ended and the pool opens fresh ones.
        const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await admin.connect();
        try {
          await admin.query(`alter database "${name}" set default_transaction_read_only = ${on ? 'on' : 'off'}`);
          await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name]);
        } finally {
          await admin.end();
        }
      }
    };
    await readOnly(true);
    try {
      await waitFor(async () => {
        await modes.refresh();
        // On Postgres the sessions ended by the switch first read as "unreachable"; wait for
        // the pool's fresh sessions to report the read-only database itself.
        return modes.mode === 'degraded' && /read-only/.test(modes.view().reason ?? '');
      }, { what: 'automatic degraded mode' });
      const health = await http('GET', `${ctx.url}/health`);
      expect(health.body).toEqual({ status: 'ok', mode: 'degraded', reason: 'database refuses writes (read-only)' });
      expect((await http('GET', `${ctx.url}/api/v1/system`)).body.automatic).toMatchObject({ mode: 'degraded' });
    } finally {
      await readOnly(false);
    }
    await waitFor(async () => {
      await modes.refresh();
      return modes.mode === 'normal';
    }, { what: 'normal mode again' });
  });

  it('enters degraded by itself on a migration mismatch, either way, and leaves it once schema and code agree', async () => {
    const modes = ctx.server.app.get(SystemModeService);
    const settle = async (mode: string) =>
      waitFor(async () => {
        await modes.refresh();
        return modes.mode === mode;
      }, { what: `mode ${mode}` });
    const { rows } = await ctx.database.db.query<{ name: string; checksum: string }>(
      `select name, checksum from baton_migrations order by name desc limit 1`,
    );
    const last = rows[0]!;
    await ctx.database.db.query(`delete from baton_migrations where name = $1`, [last.name]);
    await settle('degraded');
    expect(modes.view().reason).toBe(`migration mismatch: not applied: ${last.name}`);
    await ctx.database.db.query(`insert into baton_migrations (name, checksum) values ($1, $2)`, [last.name, last.checksum]);
    await settle('normal');

    await ctx.database.db.query(`insert into baton_migrations (name, checksum) values ('29991231000000_from_the_future', 'x')`);
    await settle('degraded');
    expect(modes.view().reason).toContain('does not know (a newer version?): 29991231000000_from_the_future');
    await ctx.database.db.query(`delete from baton_migrations where name = '29991231000000_from_the_future'`);
    await settle('normal');
  });
});
