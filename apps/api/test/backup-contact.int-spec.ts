import { randomUUID } from 'node:crypto';
import { testDatabaseKinds } from '@baton/testing';
import { REST_ROWS } from './support/access-matrix.js';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = `baton_${'b'.repeat(43)}`;

/**
 * Issue 16: the backup contact's token (role `backup`) reads the hub's state and drains it,
 * and is refused everything else: every route of the access matrix is tried.
 */
describe.each(testDatabaseKinds())('the backup contact on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN });
  let backup = '';

  beforeAll(async () => {
    const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'backup-contact', role: 'backup' }, { authorization: `Bearer ${ADMIN}` });
    expect(created.status).toBe(201);
    backup = created.body.token;
  });

  it('is refused every route but the system state and the drain', async () => {
    const got: Record<string, number> = {};
    // The node protocol takes node tokens only (every API token gets 401): not the backup's either.
    for (const row of REST_ROWS.filter((r) => r.allowed !== 'public' && r.allowed !== 'node' && !r.stream)) {
      const path = row.pattern.replace(/:[a-zA-Z]+/g, () => randomUUID());
      const response = await http(row.method, `${ctx.url}${path}`, row.method === 'GET' ? undefined : {}, { authorization: `Bearer ${backup}` });
      got[`${row.method} ${row.pattern}`] = response.status;
    }
    const passed = Object.entries(got).filter(([, status]) => status !== 403);
    // GET /system answers; the drain passes the guard and fails validation (no reason).
    expect(Object.fromEntries(passed)).toEqual({ 'GET /api/v1/system': 200, 'POST /api/v1/system/drain': 400 });
  });

  it('drains the hub (an emergency shutdown)', async () => {
    const drained = await http('POST', `${ctx.url}/api/v1/system/drain`, { reason: 'operator unreachable' }, { authorization: `Bearer ${backup}` });
    expect(drained.status).toBe(202);
    const system = await http('GET', `${ctx.url}/api/v1/system`, undefined, { authorization: `Bearer ${backup}` });
    expect(system.body).toMatchObject({ mode: 'draining', stored: { setBy: 'token:backup-contact', reason: 'operator unreachable' } });
  });
});
