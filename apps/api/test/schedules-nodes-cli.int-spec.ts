import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/src/cli.js';
import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { waitFor } from '@baton/testing';

const REGISTRATION = 'cli-nodes-registration-0123456789';

/** Issue 15: `baton schedules …` and `baton nodes …` through the API of a real server. */
describe.each(testDatabaseKinds())('baton schedules | nodes on %s', (kind) => {
  const ADMIN = `baton_${'d'.repeat(43)}`;
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_NODE_REGISTRATION_TOKEN: REGISTRATION });
  const dir = mkdtempSync(join(tmpdir(), 'baton-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(args: string[], token: string | undefined = ADMIN) {
    const out: string[] = [];
    const err: string[] = [];
    const exit = await runCli(args, { BATON_URL: ctx.url, BATON_TOKEN: token }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { exit, out: out.join('\n'), err: err.join('\n') };
  }

  it('creates, lists, pauses, triggers and deletes a schedule, and shows its history', async () => {
    const file = join(dir, 'nightly.yaml');
    writeFileSync(file, ['name: nightly-cli', 'plan:', '  steps:', '    - { id: hello, agent: "builtin:echo" }', 'cron: "0 6 * * *"', 'timezone: Europe/Paris', ''].join('\n'));
    const created = await cli(['schedules', 'create', '--file', file]);
    expect(created.exit).toBe(0);
    const schedule = JSON.parse(created.out);
    expect(schedule).toMatchObject({ name: 'nightly-cli', cron: '0 6 * * *', timezone: 'Europe/Paris', paused: false });
    expect(schedule.next_fire_times).toHaveLength(5);

    const listed = await cli(['schedules', 'list']);
    expect(listed.out.split('\n')[0]).toMatch(/^ID\s+NAME\s+WHEN\s+ZONE\s+NEXT FIRE\s+STATE$/);
    expect(listed.out).toMatch(/nightly-cli\s+cron 0 6 \* \* \*\s+Europe\/Paris/);

    expect(JSON.parse((await cli(['schedules', 'pause', 'nightly-cli', '--note', 'maintenance'])).out)).toMatchObject({ paused: true, pause_note: 'maintenance' });
    const fired = JSON.parse((await cli(['schedules', 'trigger', 'nightly-cli'])).out);
    expect(fired).toMatchObject({ kind: 'trigger' });
    const runId = fired.run_id ?? (await waitForFire(schedule.id)).run_id;
    await waitFor(async () => (await http('GET', `${ctx.url}/api/v1/runs/${runId}`, undefined, { authorization: `Bearer ${ADMIN}` })).body.status === 'completed' || undefined, { what: 'the triggered run' });
    const history = await cli(['schedules', 'history', schedule.id]);
    expect(history.out).toMatch(new RegExp(`trigger\\s+started\\s+${runId}`));
    expect((await cli(['schedules', 'update', 'nightly-cli', '--file', writeJson('patch.json', { note: 'from the cli' })])).exit).toBe(0);
    expect(JSON.parse((await cli(['schedules', 'get', 'nightly-cli'])).out)).toMatchObject({ note: 'from the cli' });
    expect((await cli(['schedules', 'delete', 'nightly-cli'])).exit).toBe(0);
    expect((await cli(['schedules', 'get', 'nightly-cli'])).err).toContain('no schedule named nightly-cli');
  });

  it('names the bad field of a refused schedule, and the missing arguments', async () => {
    const bad = await cli(['schedules', 'create', '--file', writeJson('bad.json', { name: 'x', plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] }, cron: '0 6 * * *', timezone: 'Mars/Olympus' })]);
    expect(bad.exit).toBe(1);
    expect(bad.err).toMatch(/400/);
    expect(bad.err).toMatch(/timezone/);
    expect((await cli(['schedules', 'pause'])).exit).toBe(2);
    expect((await cli(['schedules', 'list'], 'baton_not-a-token')).err).toContain('401');
  });

  it('lists worker nodes, changes a node\'s configuration, drains and removes it', async () => {
    const boot = await http('POST', `${ctx.url}/api/v1/nodes/register`, { name: 'cli-node', capabilities: ['render'], max_concurrent_jobs: 3 }, { authorization: `Bearer ${REGISTRATION}` });
    expect(boot.status).toBe(201);
    const listed = await cli(['nodes', 'list']);
    expect(listed.out.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+LAST HEARTBEAT\s+JOBS\s+CONFIG\s+AGENTS$/);
    expect(listed.out).toMatch(/cli-node\s+active\s+\S+\s+0\/3\s+1 \(acked none\)\s+render/);
    const configured = JSON.parse((await cli(['nodes', 'config', 'cli-node', '--file', writeJson('config.json', { quality: 90 })])).out);
    expect(configured).toMatchObject({ configVersion: 2, config: { quality: 90 } });
    expect(JSON.parse((await cli(['nodes', 'drain', boot.body.node_id])).out)).toMatchObject({ status: 'draining' });
    expect((await cli(['nodes', 'remove', 'cli-node'])).exit).toBe(0);
    expect((await cli(['nodes', 'get', boot.body.node_id])).err).toContain('404');
  });

  function writeJson(name: string, value: unknown): string {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  }

  async function waitForFire(scheduleId: string) {
    return waitFor(async () => {
      const fires = (await http('GET', `${ctx.url}/api/v1/schedules/${scheduleId}/history`, undefined, { authorization: `Bearer ${ADMIN}` })).body.fires;
      return fires[0]?.run_id ? fires[0] : undefined;
    }, { what: 'the fire\'s run' });
  }
});
