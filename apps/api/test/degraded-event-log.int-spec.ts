import { SystemModeService } from '@baton/ops';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

const PLAN = { steps: [{ id: 'x', agent: 'builtin:echo' }] };

/**
 * Issue 16: the event log failing is an internal failure, so Baton turns degraded by itself
 * and leaves degraded once the log takes writes again. The failure is real: a trigger that
 * raises on every insert into the log, or the log's table renamed away, in the suite's own
 * test database.
 */
describe.each(testDatabaseKinds())('event log failure on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200' });
  const sql = <R = any>(text: string) => ctx.database.db.query<R>(text);
  const count = async (table: string) => Number((await sql<{ n: string }>(`select count(*)::text as n from ${table}`)).rows[0]!.n);
  const health = async () => (await http('GET', `${ctx.url}/health`)).body;

  async function expectDegradedThenNormal(breakLog: string, repairLog: string, cause: RegExp) {
    const runsBefore = await count('orchestration_runs');
    await ctx.database.db.exec(breakLog);
    try {
      // The append fails inside the run's transaction: no run is left, and the answer is a 503 saying why.
      const refused = await http('POST', `${ctx.url}/api/v1/runs`, { plan: PLAN });
      expect(refused.status).toBe(503);
      expect(refused.body.message).toContain('the event log refuses writes');
      expect(await count('orchestration_runs')).toBe(runsBefore);

      const degraded = await health();
      expect(degraded.mode).toBe('degraded');
      expect(degraded.reason).toMatch(cause);
      const system = (await http('GET', `${ctx.url}/api/v1/system`)).body;
      expect(system.automatic).toMatchObject({ mode: 'degraded', reason: degraded.reason });
      expect(system.stored.mode).toBe('normal'); // the instance's own finding, not a stored mode

      // Read-only: writes answer 503 with the reason, reads go on.
      const write = await http('POST', `${ctx.url}/api/v1/agents`, { name: `late-${kind}`, kind: 'http', url: 'http://127.0.0.1:9/x' });
      expect(write.status).toBe(503);
      expect(write.body.message).toContain('degraded (read-only) mode: event log failing');
      expect((await http('GET', `${ctx.url}/api/v1/runs`)).status).toBe(200);

      // The refresh probes the log (a rolled-back append): still failing, still degraded.
      const modes = ctx.server.app.get(SystemModeService);
      await modes.refresh();
      expect(modes.mode).toBe('degraded');
    } finally {
      await ctx.database.db.exec(repairLog);
    }
    // Nothing appends while degraded (no new work); the probe sees the log work again.
    await waitFor(async () => (await health()).mode === 'normal', { what: 'normal mode after the log recovers' });
    const run = await startPlan(ctx.url, PLAN);
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
    // The probes left nothing: every event stream belongs to a run.
    expect((await sql(`select run_id from orchestration_event_streams where run_id not in (select id from orchestration_runs)`)).rows).toEqual([]);
    const events = (await http('GET', `${ctx.url}/api/v1/system`)).body.events as Array<{ type: string; data: any }>;
    const changes = events.filter((e) => e.type === 'system.mode.changed').map((e) => e.data);
    expect(changes[0]).toMatchObject({ mode: 'normal', previous: 'degraded' });
    expect(changes[1]).toMatchObject({ mode: 'degraded', previous: 'normal' });
    expect(changes[1].reason).toMatch(cause);
  }

  it('turns degraded when a trigger makes every append fail, and normal again when it is dropped', async () => {
    await expectDegradedThenNormal(
      `create function baton_test_refuse_events() returns trigger language plpgsql as $$
         begin raise exception 'no space left on device (simulated by the test)'; end $$;
       create trigger baton_test_refuse_events before insert on orchestration_events
         for each row execute function baton_test_refuse_events();`,
      `drop trigger baton_test_refuse_events on orchestration_events; drop function baton_test_refuse_events();`,
      /^event log failing: no space left on device \(simulated by the test\)$/,
    );
  });

  it('turns degraded when the log table is gone, and normal again when it is back', async () => {
    await expectDegradedThenNormal(
      `alter table orchestration_events rename to orchestration_events_away`,
      `alter table orchestration_events_away rename to orchestration_events`,
      /^event log failing: relation "orchestration_events" does not exist$/,
    );
  });
});
