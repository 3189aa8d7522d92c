import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'sessions-admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN}` };
/** A session that waits for a person's answer, then echoes it. */
const plan = {
  steps: [
    { id: 'answer', type: 'wait', event: 'session.answer', timeout_seconds: 300 },
    { id: 'reply', agent: 'builtin:echo', depends_on: ['answer'], input: { got: '{{ steps.answer.output.data }}' } },
  ],
};

/**
 * Issue 13, sessions: `POST /api/v1/sessions` (idempotent by the caller's id), its state, and
 * its actions: pause, resume, cancel, and signal, which delivers data to the waiting step of
 * this session alone. Owner-scoped like runs; each action is its own policy action.
 */
describe.each(testDatabaseKinds())('sessions on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLL_INTERVAL_MS: '100' });
  const tokens: Record<string, string> = {};
  const as = (who: string, method: string, path: string, body?: unknown) =>
    http(method, `${ctx.url}${path}`, body, who === 'admin' ? admin : { authorization: `Bearer ${tokens[who]}` });
  const waitingOn = (who: string, id: string) =>
    waitFor(async () => {
      const state = await as(who, 'GET', `/api/v1/sessions/${id}`);
      return state.body.steps?.waiting?.length > 0 && state.body;
    }, { what: `session ${id} waiting` });

  beforeAll(async () => {
    const specs: [string, string, string?][] = [
      ['agent-acme', 'agent', 'acme'],
      ['operator-acme', 'operator', 'acme'],
      ['agent-globex', 'agent', 'globex'],
      ['viewer', 'viewer'],
    ];
    for (const [name, role, owner] of specs) {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name, role, ...(owner ? { owner } : {}) }, admin);
      expect(created.status).toBe(201);
      tokens[name] = created.body.token;
    }
  });

  it('starts a session under the caller\'s id once: the same request again is 200, another is 409', async () => {
    const body = { id: 'chat-001', plan, input: { user: 'ada' }, metadata: { channel: 'web' } };
    const first = await as('agent-acme', 'POST', '/api/v1/sessions', body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id: 'chat-001', owner: 'acme', metadata: { channel: 'web' }, run: { owner: 'acme', metadata: { session: 'chat-001' } } });
    const again = await as('agent-acme', 'POST', '/api/v1/sessions', body);
    expect(again.status).toBe(200);
    expect(again.body.run_id).toBe(first.body.run_id);
    const other = await as('agent-acme', 'POST', '/api/v1/sessions', { ...body, input: { user: 'grace' } });
    expect(other.status).toBe(409);
    expect(other.body.details).toMatchObject({ code: 'SESSION_ID_TAKEN' });
    const generated = await as('agent-acme', 'POST', '/api/v1/sessions', { plan });
    expect(generated.status).toBe(201);
    expect(generated.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps ids per owner: another owner starts its own session under a taken id, and all-owner callers name the owner', async () => {
    const body = { id: 'chat-42', plan, metadata: { tenant: 'acme' } };
    const acme = await as('agent-acme', 'POST', '/api/v1/sessions', body);
    expect(acme.status).toBe(201);
    // Owner B learns nothing of A's id: it starts a session of its own, with its own run.
    const globex = await as('agent-globex', 'POST', '/api/v1/sessions', { ...body, metadata: { tenant: 'globex' } });
    expect(globex.status).toBe(201);
    expect(globex.body).toMatchObject({ id: 'chat-42', owner: 'globex', metadata: { tenant: 'globex' }, run: { owner: 'globex' } });
    expect(globex.body.run_id).not.toBe(acme.body.run_id);
    // Idempotent per owner: B's repeat is B's session, B's other request is B's 409.
    const repeat = await as('agent-globex', 'POST', '/api/v1/sessions', { ...body, metadata: { tenant: 'globex' } });
    expect([repeat.status, repeat.body.run_id]).toEqual([200, globex.body.run_id]);
    expect((await as('agent-globex', 'POST', '/api/v1/sessions', body)).body.details).toMatchObject({ code: 'SESSION_ID_TAKEN' });
    // Each bound token sees its own; naming the other owner is the 404 of a missing session.
    expect((await as('agent-acme', 'GET', '/api/v1/sessions/chat-42')).body).toMatchObject({ owner: 'acme', run_id: acme.body.run_id });
    expect((await as('agent-globex', 'GET', '/api/v1/sessions/chat-42')).body).toMatchObject({ owner: 'globex', run_id: globex.body.run_id });
    expect((await as('agent-acme', 'GET', '/api/v1/sessions/chat-42?owner=acme')).body.owner).toBe('acme');
    const probed = await as('agent-acme', 'GET', '/api/v1/sessions/chat-42?owner=globex');
    const ghost = await as('agent-acme', 'GET', '/api/v1/sessions/chat-42-ghost');
    expect(probed.status).toBe(404);
    expect(probed.body).toEqual({ ...ghost.body, message: ghost.body.message.replace('chat-42-ghost', 'chat-42') });
    expect((await as('operator-acme', 'POST', '/api/v1/sessions/chat-42/actions/cancel?owner=globex')).status).toBe(404);

    // An all-owner token: one id in two owners is ambiguous until it names the owner.
    const ambiguous = await as('admin', 'GET', '/api/v1/sessions/chat-42');
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.details).toMatchObject({ code: 'SESSION_OWNER_AMBIGUOUS', owners: ['acme', 'globex'] });
    expect((await as('admin', 'POST', '/api/v1/sessions/chat-42/actions/cancel')).status).toBe(409);
    expect((await as('admin', 'GET', '/api/v1/sessions/chat-42?owner=globex')).body).toMatchObject({ owner: 'globex', run_id: globex.body.run_id });
    const cancelled = await as('admin', 'POST', '/api/v1/sessions/chat-42/actions/cancel?owner=globex');
    expect([cancelled.status, cancelled.body.owner, cancelled.body.status]).toEqual([200, 'globex', 'cancelled']);
    expect((await as('agent-acme', 'GET', '/api/v1/sessions/chat-42')).body.status).not.toBe('cancelled');
    expect((await as('admin', 'GET', '/api/v1/sessions/chat-42?owner=nobody')).status).toBe(404);
    // A repeated query parameter is refused before the handler, naming it.
    const badOwner = await as('admin', 'GET', '/api/v1/sessions/chat-42?owner=a&owner=b');
    expect([badOwner.status, badOwner.body.details]).toEqual([400, [expect.objectContaining({ path: 'query.owner' })]]);
    // An id only one owner uses needs no `?owner=`; an all-owner token may start one in an owner by name.
    const named = await as('admin', 'POST', '/api/v1/sessions?owner=acme', { id: 'chat-admin', plan });
    expect([named.status, named.body.owner]).toEqual([201, 'acme']);
    expect((await as('admin', 'GET', '/api/v1/sessions/chat-admin')).body.owner).toBe('acme');
    expect((await as('agent-acme', 'POST', '/api/v1/sessions?owner=globex', { plan })).status).toBe(403);
  });

  it('gives the id back when the run is refused, so a corrected request may use it', async () => {
    const refused = await as('agent-acme', 'POST', '/api/v1/sessions', { id: 'chat-typo', definition: { name: 'no-such-definition' } });
    expect(refused.status).toBe(404);
    expect((await as('agent-acme', 'POST', '/api/v1/sessions', { id: 'chat-typo', plan })).status).toBe(201);
  });

  it('delivers a signal to this session\'s waiting step only, and the session runs on with the data', async () => {
    const mine = await as('agent-acme', 'POST', '/api/v1/sessions', { id: 'chat-signal', plan });
    const theirs = await as('agent-acme', 'POST', '/api/v1/sessions', { id: 'chat-bystander', plan });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    const waiting = await waitingOn('agent-acme', 'chat-signal');
    expect(waiting).toMatchObject({ status: 'waiting', steps: { total: 2, done: 0, waiting: [{ id: 'answer', type: 'wait' }] } });
    await waitingOn('agent-acme', 'chat-bystander');

    const signalled = await as('agent-acme', 'POST', '/api/v1/sessions/chat-signal/actions/signal', { data: { text: 'yes' } });
    expect(signalled.status).toBe(200);
    expect(signalled.body.signal).toMatchObject({ step: 'answer' });
    const done = await waitFor(async () => {
      const state = await as('agent-acme', 'GET', '/api/v1/sessions/chat-signal');
      return state.body.status === 'completed' && state.body;
    }, { what: 'session completed' });
    expect(done.steps).toMatchObject({ total: 2, done: 2, by_status: { completed: 2 }, waiting: [] });
    expect(JSON.stringify(done.run.output)).toContain('yes');
    // The bystander waits for the same event name and is still waiting.
    expect((await as('agent-acme', 'GET', '/api/v1/sessions/chat-bystander')).body.steps.waiting).toHaveLength(1);
    // Nothing waits any more: 409, and a signal body with unknown fields is a 400 naming them.
    expect((await as('agent-acme', 'POST', '/api/v1/sessions/chat-signal/actions/signal', { data: 1 })).status).toBe(409);
    const bad = await as('agent-acme', 'POST', '/api/v1/sessions/chat-bystander/actions/signal', { data: 1, stepp: 'answer' });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'stepp' })]);
  });

  it('pauses, resumes and cancels a session; a signal while paused waits for the resume', async () => {
    expect((await as('agent-acme', 'POST', '/api/v1/sessions', { id: 'chat-steer', plan })).status).toBe(201);
    await waitingOn('agent-acme', 'chat-steer');
    const paused = await as('operator-acme', 'POST', '/api/v1/sessions/chat-steer/actions/pause');
    expect([paused.status, paused.body.status]).toEqual([200, 'paused']);
    expect((await as('agent-acme', 'POST', '/api/v1/sessions/chat-steer/actions/signal', { step: 'answer', data: 'later' })).status).toBe(200);
    expect((await as('agent-acme', 'GET', '/api/v1/sessions/chat-steer')).body.status).toBe('paused');
    const resumed = await as('operator-acme', 'POST', '/api/v1/sessions/chat-steer/actions/resume');
    expect(resumed.status).toBe(200);
    await waitFor(async () => (await as('agent-acme', 'GET', '/api/v1/sessions/chat-steer')).body.status === 'completed', { what: 'resumed session completed' });

    expect((await as('agent-acme', 'POST', '/api/v1/sessions', { id: 'chat-cancel', plan })).status).toBe(201);
    const cancelled = await as('operator-acme', 'POST', '/api/v1/sessions/chat-cancel/actions/cancel');
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
    expect((await as('operator-acme', 'POST', '/api/v1/sessions/chat-cancel/actions/resume')).status).toBe(409);
  });

  it('checks each action by policy and hides another owner\'s session (404)', async () => {
    expect((await as('agent-globex', 'POST', '/api/v1/sessions', { id: 'globex-1', plan })).status).toBe(201);
    expect((await as('agent-acme', 'GET', '/api/v1/sessions/globex-1')).status).toBe(404);
    for (const action of ['pause', 'resume', 'cancel']) {
      expect({ action, status: (await as('operator-acme', 'POST', `/api/v1/sessions/globex-1/actions/${action}`)).status }).toEqual({ action, status: 404 });
    }
    expect((await as('agent-acme', 'POST', '/api/v1/sessions/globex-1/actions/signal', { data: 1 })).status).toBe(404);
    expect((await as('agent-globex', 'GET', '/api/v1/sessions/globex-1')).body.status).not.toBe('cancelled');
    // A bound token starts sessions of its own owner only.
    expect((await as('agent-acme', 'POST', '/api/v1/sessions', { definition: { name: 'x', owner: 'globex' } })).status).toBe(403);
    // Roles: viewers read, agents signal but do not steer, operators steer but do not signal.
    expect((await as('viewer', 'GET', '/api/v1/sessions/globex-1')).status).toBe(200);
    expect((await as('viewer', 'POST', '/api/v1/sessions/globex-1/actions/signal', { data: 1 })).status).toBe(403);
    expect((await as('agent-globex', 'POST', '/api/v1/sessions/globex-1/actions/pause')).status).toBe(403);
    expect((await as('operator-acme', 'POST', '/api/v1/sessions/globex-1/actions/signal', { data: 1 })).status).toBe(403);
    // An action the API does not have is not in the route table: admins only, then a 400 naming it.
    expect((await as('operator-acme', 'POST', '/api/v1/sessions/globex-1/actions/restart')).status).toBe(403);
    const unknown = await as('admin', 'POST', '/api/v1/sessions/globex-1/actions/restart');
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([expect.objectContaining({ path: 'action' })]);
  });
});
