import { runCli } from '../../cli/src/cli.js';
import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';

/** Issue 16: the operator's CLI commands, through the API of a real server. */
describe.each(testDatabaseKinds())('baton status | mode | heartbeat | doctor on %s', (kind) => {
  const ADMIN = `baton_${'c'.repeat(43)}`;
  const SECRET = 'heartbeat-secret-for-the-cli-test';
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_HEARTBEAT_SECRET: SECRET });

  async function cli(args: string[], token: string | undefined = ADMIN, extra: Record<string, string> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const exit = await runCli(args, { BATON_URL: ctx.url, BATON_TOKEN: token, ...extra }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { exit, out: out.join('\n'), err: err.join('\n') };
  }

  it('sets and shows the mode, beats the heartbeat and runs the doctor', async () => {
    const set = await cli(['mode', 'safe', '--reason', 'cli test']);
    expect(set.exit).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({ mode: 'safe', reason: 'cli test', stored: { setBy: 'token:bootstrap' } });
    const status = await cli(['status']);
    expect(JSON.parse(status.out)).toMatchObject({ mode: 'safe' });
    expect((await cli(['heartbeat'])).out).toBe('heartbeat recorded; mode safe');
    expect(JSON.parse((await cli(['doctor'])).out)).toMatchObject({ findings: [] });
    expect(JSON.parse((await cli(['doctor', '--fix'])).out)).toMatchObject({ repairs: [] });
    expect((await cli(['mode', 'normal', '--reason', 'done'])).exit).toBe(0);
    expect((await http('GET', `${ctx.url}/health`)).body.mode).toBe('normal');
  });

  it('reports refusals and bad input with the server\'s message', async () => {
    const noReason = await cli(['mode', 'safe']);
    expect(noReason).toMatchObject({ exit: 1 });
    expect(noReason.err).toContain('400');
    expect(noReason.err).toContain('reason');
    const unauthorized = await cli(['status'], '');
    expect(unauthorized.exit).toBe(1);
    expect(unauthorized.err).toContain('401');
  });

  it('makes a signed heartbeat webhook URL that beats the heartbeat without a token', async () => {
    const made = await cli(['heartbeat', '--url', '--by', 'laptop-cron'], undefined, { BATON_HEARTBEAT_SECRET: SECRET });
    expect(made.exit).toBe(0);
    expect(made.out).toMatch(new RegExp(`^${ctx.url}/api/v1/system/heartbeat/signed\\?by=laptop-cron&signature=[0-9a-f]{64}$`));
    const beat = await http('POST', made.out);
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ mode: 'normal', heartbeat: { by: 'signed-url:laptop-cron' } });
    expect((await cli(['heartbeat', '--url'], undefined, {})).err).toContain('BATON_HEARTBEAT_SECRET');
    // Made with another secret: refused.
    const forged = await cli(['heartbeat', '--url', '--by', 'laptop-cron'], undefined, { BATON_HEARTBEAT_SECRET: 'not-the-servers-secret-at-all' });
    expect((await http('POST', forged.out)).status).toBe(401);
  });
});
