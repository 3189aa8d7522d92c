import { EventEmitter2 } from '@nestjs/event-emitter';
import { HeartbeatService, SYSTEM_DRAINED_EVENT, signedHeartbeatUrl } from '@baton/ops';
import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { http, startTestApp, type TestApp } from './support/test-app.js';
import { startSmtpServer, type SmtpServer } from './support/smtp-server.js';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/** Issue 16: the dead-man switch, alerting over a real SMTP server on loopback. */
describe.each(testDatabaseKinds())('operator heartbeat on %s', (kind) => {
  let database: TestDatabase;
  let smtp: SmtpServer;
  let receiver: WebhookReceiver;
  let server: TestApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    smtp = await startSmtpServer();
    receiver = await startReceiver();
    receiver.secret = 'whsec_alert_test_secret';
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await database.db.query(`update baton_system_state set mode = 'normal', reason = null, last_heartbeat_at = null`);
  });
  afterAll(async () => {
    await smtp.close();
    await receiver.close();
    await database.drop();
  });

  const start = (env: Record<string, string>) =>
    startTestApp(database.db, {
      BATON_ALERT_SMTP_URL: smtp.url,
      BATON_OPERATOR_EMAIL: 'operator@example.test',
      BATON_BACKUP_CONTACT: 'backup@example.test',
      BATON_HEARTBEAT_CHECK_MS: '100',
      BATON_ALERT_WEBHOOK_URL: receiver.url,
      BATON_ALERT_WEBHOOK_SECRET: receiver.secret,
      ...env,
    });

  it('is off by default', async () => {
    server = await startTestApp(database.db);
    await server.app.get(HeartbeatService).check(Date.now() + 1000 * 3_600_000);
    expect((await http('GET', `${server.url}/api/v1/system`)).body).toMatchObject({ mode: 'normal', heartbeat: { enabled: false } });
  });

  it('enters safe mode without a heartbeat, e-mails the operator and the backup contact, and a heartbeat lifts it', async () => {
    const seen = smtp.messages.length;
    receiver.setFailures([503]);
    // 0.0003 h is about a second.
    server = await start({ BATON_HEARTBEAT_INTERVAL_HOURS: '0.0003', BATON_MAX_UNATTENDED_HOURS: '24' });
    const mail = await smtp.nextMessage(seen);
    expect(mail.to).toEqual(['operator@example.test', 'backup@example.test']);
    expect(mail.data).toContain('Subject: [Baton] no heartbeat: Baton entered safe mode');
    const system = (await http('GET', `${server.url}/api/v1/system`)).body;
    expect(system).toMatchObject({ mode: 'safe', stored: { setBy: 'dead-man-switch' } });
    expect(system.reason).toMatch(/^no operator heartbeat since /);
    // The alert is recorded once the mail is sent and the signed webhook delivered (after a 503, retried).
    await waitFor(
      async () =>
        (await http('GET', `${server!.url}/api/v1/system`)).body.events.some(
          (e: any) => e.type === 'system.alert' && e.data.emailedTo.length === 2 && e.data.webhookDelivered === true,
        ),
      { what: 'the recorded alert' },
    );
    const hooks = receiver.accepted.filter((d) => d.eventType === 'system.alert');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.body.event.data.subject).toBe('no heartbeat: Baton entered safe mode');
    expect(receiver.calls.map((c) => c.answer)).toEqual([503, 204]);
    expect((await http('POST', `${server.url}/api/v1/runs`, { plan: { steps: [{ id: 'x', agent: 'builtin:echo' }] } })).status).toBe(503);
    // Only one alert although the switch is checked every 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(smtp.messages.length).toBe(seen + 1);

    const beat = await http('POST', `${server.url}/api/v1/system/heartbeat`);
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ mode: 'normal', heartbeat: { enabled: true, by: 'anonymous' } });
    expect((await http('POST', `${server.url}/api/v1/runs`, { plan: { steps: [{ id: 'x', agent: 'builtin:echo' }] } })).status).toBe(201);
  });

  it('drains after the maximum unattended time and tells the app to stop', async () => {
    const seen = smtp.messages.length;
    server = await start({ BATON_HEARTBEAT_INTERVAL_HOURS: '0.0001', BATON_MAX_UNATTENDED_HOURS: '0.0002' });
    const drained = new Promise((resolve) => server!.app.get(EventEmitter2).once(SYSTEM_DRAINED_EVENT, resolve));
    await drained;
    const system = (await http('GET', `${server.url}/api/v1/system`)).body;
    expect(system.mode).toBe('draining');
    expect(system.events.map((e: { type: string }) => e.type)).toContain('system.drained');
    await waitFor(() => smtp.messages.slice(seen).some((m) => m.data.includes('Baton is draining and will stop')), { what: 'the drain alert' });
  });

  it('a signed webhook URL beats the heartbeat without a token and lifts the switch\'s safe mode; a bad signature changes nothing', async () => {
    const secret = 'heartbeat-webhook-secret-0123456789';
    const admin = 'heartbeat-admin-token-0123456789abcdef';
    server = await start({ BATON_HEARTBEAT_INTERVAL_HOURS: '0.0003', BATON_MAX_UNATTENDED_HOURS: '24', BATON_HEARTBEAT_SECRET: secret, BATON_BOOTSTRAP_TOKEN: admin });
    const auth = { authorization: `Bearer ${admin}` };
    await waitFor(async () => (await http('GET', `${server!.url}/api/v1/system`, undefined, auth)).body.mode === 'safe', { what: 'the switch to trip' });

    const url = signedHeartbeatUrl(server.url, secret, 'uptime-checker');
    const wrong = url.replace(/signature=([0-9a-f])/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    const refused = await http('POST', wrong);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toContain('signature does not match');
    const noSignature = await http('POST', `${server.url}/api/v1/system/heartbeat/signed?by=uptime-checker`);
    expect(noSignature.status).toBe(400);
    expect(noSignature.body.message).toContain('signature');
    expect((await http('GET', `${server.url}/api/v1/system`, undefined, auth)).body.mode).toBe('safe');

    const beat = await http('POST', url);
    expect(beat.status).toBe(200);
    expect(beat.body).toEqual({ mode: 'normal', heartbeat: { lastHeartbeatAt: expect.any(String), by: 'signed-url:uptime-checker' } });
    const system = (await http('GET', `${server.url}/api/v1/system`, undefined, auth)).body;
    expect(system).toMatchObject({ mode: 'normal', heartbeat: { by: 'signed-url:uptime-checker' } });
  });
});
