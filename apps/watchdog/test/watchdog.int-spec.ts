import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@baton/testing';
import { buildServer, freePort, REPO_ROOT } from '../../api/test/support/child-server.js';
import { startSmtpServer, type SmtpServer } from '../../api/test/support/smtp-server.js';
import { startTestApp, type TestApp } from '../../api/test/support/test-app.js';
import { startPlan, waitForRun } from '../../api/test/support/runs.js';
import { loadWatchdogConfig } from '../src/watchdog-config.js';
import { Watchdog } from '../src/watchdog.js';

/** Issue 16: the external watchdog, as a real process and against a real database. */
describe('the watchdog', () => {
  let smtp: SmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp.close();
  });

  it('runs as its own process and alerts after three failed polls of a stopped Baton', async () => {
    buildServer();
    const port = await freePort(); // nothing listens there: Baton is stopped
    const seen = smtp.messages.length;
    const { NODE_OPTIONS: _omit, ...env } = process.env;
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist-test', 'apps', 'watchdog', 'src', 'main.js')], {
      env: {
        ...env,
        WATCHDOG_BATON_URL: `http://127.0.0.1:${port}`,
        WATCHDOG_INTERVAL_MS: '100',
        WATCHDOG_SMTP_URL: smtp.url,
        WATCHDOG_ALERT_TO: 'operator@example.test,backup@example.test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    try {
      const mail = await smtp.nextMessage(seen);
      expect(mail.to).toEqual(['operator@example.test', 'backup@example.test']);
      expect(mail.data).toContain('Subject: [Baton watchdog] Baton is down');
      expect(mail.data).toContain('failed 3 times in a row');
      expect(output.match(/in a row\)/g)?.length).toBeGreaterThanOrEqual(3);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 90_000);

  const postgres = process.env.TEST_DATABASE_URL;
  (postgres ? describe : describe.skip)('with a read-only view of the database (Postgres)', () => {
    let database: TestDatabase;
    let baton: TestApp;

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      // A slow poll: only the watchdog's request to the doctor can get the stuck step going.
      baton = await startTestApp(database.db, { BATON_POLL_INTERVAL_MS: '60000', BATON_DOCTOR_STUCK_SECONDS: '0', BATON_DOCTOR_INTERVAL_MS: '0' });
    });
    afterAll(async () => {
      await baton?.close();
      await database?.drop();
    });

    it('alerts on a stalled queued step and asks Baton to recycle it', async () => {
      const run = await startPlan(baton.url, { steps: [{ id: 'a', agent: 'builtin:echo' }, { id: 'b', agent: 'builtin:echo', depends_on: ['a'] }] });
      await waitForRun(baton.url, run.id);
      // Let the dispatcher finish the pass the run's end set off: a pass still running would
      // claim the step staged below, and then there would be nothing stuck to find.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await database.db.query(`update orchestration_runs set status = 'running', steps_done = 1, finished_at = null where id = $1::uuid`, [run.id]);
      await database.db.query(
        `update orchestration_steps set status = 'queued', available_at = now() - interval '30 minutes', finished_at = null, output = null
          where run_id = $1::uuid and step_key = 'b'`,
        [run.id],
      );
      const lines: string[] = [];
      const watchdog = new Watchdog(
        loadWatchdogConfig({
          WATCHDOG_BATON_URL: baton.url,
          WATCHDOG_BATON_TOKEN: 'auth-is-off-here',
          WATCHDOG_DATABASE_URL: database.url,
          WATCHDOG_STALL_MINUTES: '15',
          WATCHDOG_SMTP_URL: smtp.url,
          WATCHDOG_ALERT_TO: 'operator@example.test',
        }),
        (line) => lines.push(line),
      );
      const seen = smtp.messages.length;
      try {
        await watchdog.tick();
      } finally {
        await watchdog.stop();
      }
      const mail = await smtp.nextMessage(seen).catch((error: Error) => {
        throw new Error(`${error.message}; the watchdog said:\n${lines.join('\n')}`);
      });
      expect(mail.data).toContain('Subject: [Baton watchdog] Baton has stuck work');
      expect(mail.data).toContain('1 due queued step(s) not dispatched for 15 min');
      expect(mail.data).toContain("Asked Baton's doctor to repair: 1 repair(s).");
      expect((await waitForRun(baton.url, run.id)).status).toBe('completed');
      // The watchdog never wrote: its session was read-only.
      expect(lines.some((line) => line.includes('failed'))).toBe(false);
    });
  });
});
