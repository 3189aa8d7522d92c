import { randomUUID } from 'node:crypto';
import { useChildServers } from './support/child-servers.js';
import { http } from './support/test-app.js';

/**
 * A Baton process SIGKILLed while agents are sending: every message it answered 201 to must
 * reach its recipient's inbox after another process starts on the database, exactly once; a
 * message pulled but not acknowledged before the kill is handed out again. Needs real
 * Postgres: PGlite lives inside one process and cannot be shared with a child.
 */
const postgres = process.env.TEST_DATABASE_URL;
const describeOnPostgres = postgres ? describe : describe.skip;
if (!postgres) console.warn('messaging-crash.int-spec: skipped, set TEST_DATABASE_URL to run it on Postgres');

const ADMIN = 'messaging-crash-admin-token-0123456789';
const SENDS = 60;

describeOnPostgres('messaging across a SIGKILL (needs TEST_DATABASE_URL)', () => {
  const servers = useChildServers({ BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_MESSAGE_LEASE_SECONDS: '1', BATON_MESSAGE_SWEEP_MS: '100' });
  const start = servers.start;
  const tokens: Record<string, string> = {};

    const as = (who: string) => ({ authorization: `Bearer ${tokens[who] ?? ADMIN}` });

  it('delivers every accepted message after the kill, once, and re-hands an unacknowledged one', async () => {
    const first = await start('messaging-a');
    for (const name of ['alice', 'bob']) {
      const created = await http('POST', `${first.url}/api/v1/tokens`, { name, role: 'agent' }, as('admin'));
      tokens[name] = created.body.token;
    }
    expect((await http('POST', `${first.url}/api/v1/message-types`, { name: 'ping', schema: { type: 'object' } }, as('admin'))).status).toBe(201);
    const send = (i: number) =>
      http('POST', `${first.url}/api/v1/messages`, { to: { agent: 'bob' }, kind: 'event', type: 'ping', payload: { i }, nonce: randomUUID() }, as('alice'));

    // One message pulled (leased) and never acknowledged before the kill.
    const leasedId = (await send(-1)).body.id as string;
    const pulled = await http('GET', `${first.url}/api/v1/messages/inbox`, undefined, as('bob'));
    expect(pulled.body.items.map((i: any) => i.message.id)).toEqual([leasedId]);

    // Sends in flight; the kill lands as soon as a third of them were answered.
    const accepted: string[] = [];
    const inFlight = Array.from({ length: SENDS }, (_, i) =>
      send(i).then(
        (response) => {
          if (response.status === 201) accepted.push(response.body.id);
        },
        () => undefined, // connection reset by the kill: this one may or may not have committed
      ),
    );
    while (accepted.length < SENDS / 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await first.kill();
    await Promise.all(inFlight);
    expect(accepted.length).toBeGreaterThanOrEqual(SENDS / 3);

    const second = await start('messaging-b');
    const seen: string[] = [];
    for (let empty = 0; empty < 2; ) {
      const { body } = await http('GET', `${second.url}/api/v1/messages/inbox?limit=100&wait=2`, undefined, as('bob'));
      if (body.items.length === 0) empty++;
      for (const item of body.items) {
        seen.push(item.message.id);
        expect((await http('POST', `${second.url}/api/v1/messages/inbox/${item.delivery_id}/ack`, undefined, as('bob'))).status).toBe(200);
      }
    }
    expect(seen).toEqual([...new Set(seen)]); // once each
    expect(seen).toEqual(expect.arrayContaining([leasedId, ...accepted]));
    // Whatever the inbox holds was logged as accepted (nothing routed unlogged).
    const { rows } = await servers.database.db.query<{ id: string }>(`select id from messages where status = 'accepted'`);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(seen));
  }, 90_000);
});
