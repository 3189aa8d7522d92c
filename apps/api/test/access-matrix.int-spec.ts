import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { accessRules } from '@baton/identity';
import { testDatabaseKinds } from '@baton/testing';
import { A2A_ROWS, CALLERS, REST_ROWS, type A2aOutcome, type A2aRow, type Caller, type RestRow } from './support/access-matrix.js';
import { rpc, sendV10 } from './support/a2a-rpc.js';
import { http, useTestServer } from './support/test-app.js';

const ADMIN = 'access-matrix-admin-token-0123456789';
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish?' } },
  ],
};

/**
 * Issue 8's role × route × owner matrix, driven over HTTP against a real server: every REST
 * route, the SSE and WebSocket streams, and every A2A JSON-RPC method in both dialects. The
 * expectations are the hand-written table in `support/access-matrix.ts`.
 *
 * One database kind: who may call what is decided in process (the policy engine over the
 * token's role and owner), the same on either database, and the matrix is the suite's
 * slowest file; the owner scoping's SQL runs on both kinds in `owner-matrix.int-spec.ts`
 * and `tenancy.int-spec.ts`.
 */
describe.each(testDatabaseKinds().slice(0, 1))('access matrix on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_BOOTSTRAP_TOKEN: ADMIN, BATON_POLL_INTERVAL_MS: '200' });
  const tokens: Partial<Record<Caller | 'agentB' | 'otherOwner', string>> = { admin: ADMIN, invalid: `baton_${'x'.repeat(43)}` };
  let runId = '';
  let workflowId = '';

  beforeAll(async () => {
    for (const [name, role] of [['viewer', 'viewer'], ['agent', 'agent'], ['operator', 'operator'], ['agentB', 'agent']] as const) {
      const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name: `m-${name}`, role }, { authorization: `Bearer ${ADMIN}` });
      expect(created.status).toBe(201);
      tokens[name] = created.body.token;
    }
    const run = await http('POST', `${ctx.url}/api/v1/runs`, { plan: reviewPlan }, { authorization: `Bearer ${ADMIN}` });
    expect(run.status).toBe(201);
    runId = run.body.id;
    const workflow = { workflow: { name: 'matrix-flow', version: '1', orchestration_pattern: 'dag', agents: [{ type: 'builtin:echo' }], tasks: [{ id: 'a', agent: 'builtin:echo' }] } };
    const created = await http('POST', `${ctx.url}/api/v1/workflows`, workflow, { authorization: `Bearer ${ADMIN}` });
    expect(created.status).toBe(201);
    workflowId = created.body.workflow_id;
  });

  const headersOf = (caller: Caller): Record<string, string> => (caller === 'none' ? {} : { authorization: `Bearer ${tokens[caller]}` });

  /** A concrete path for a pattern: the fixture run, otherwise ids that do not exist. */
  function pathOf(row: RestRow): string {
    if (row.pattern === '/api/v1/runs/:id/events') return `/api/v1/runs/${runId}/events`;
    if (row.pattern === '/ws/workflows/:id') return `/ws/workflows/${workflowId}`;
    return row.pattern
      .replace(':id', randomUUID())
      .replace(':configId', 'no-such-config')
      .replace(':stepId', 'no-such-step')
      .replace(':jobId', randomUUID())
      .replace(':name', 'no-such-name')
      .replace(':version', '1.0.0');
  }

  /** The HTTP status a caller gets: streams are opened and closed again. */
  async function statusOf(row: RestRow, caller: Caller, via: 'header' | 'query' = 'header'): Promise<number> {
    const token = caller === 'none' ? undefined : tokens[caller];
    let url = `${ctx.url}${pathOf(row)}`;
    const headers = via === 'header' ? headersOf(caller) : {};
    if (via === 'query' && token) url += `?access_token=${encodeURIComponent(token)}`;
    if (row.stream === 'ws') return upgrade(url.replace(/^http/, 'ws'), headers);
    if (row.stream === 'sse') {
      const abort = new AbortController();
      const response = await fetch(url, { headers, signal: abort.signal });
      abort.abort();
      return response.status;
    }
    // Writes carry an empty body: a caller who passes the guard gets a 400 from validation,
    // so nothing is created, revoked or cancelled by the matrix.
    return (await http(row.method, url, row.method === 'GET' ? undefined : {}, headers)).status;
  }

  function expected(row: RestRow, caller: Caller): 'pass' | 401 | 403 {
    if (row.allowed === 'public') return 'pass';
    if (row.allowed === 'node') return 401;
    if (caller === 'none' || caller === 'invalid') return 401;
    return row.allowed.includes(caller) ? 'pass' : 403;
  }

  it('covers every route of the access policy', () => {
    const listed = new Set(REST_ROWS.map((row) => `${row.method} ${row.pattern}`));
    const patterns = new Set(REST_ROWS.map((row) => row.pattern));
    // A `*` rule needs a row for at least one method of its route; others their own method.
    const missing = accessRules()
      .filter((rule) => (rule.method === '*' ? !patterns.has(rule.pattern) : !listed.has(`${rule.method} ${rule.pattern}`)))
      .map((rule) => `${rule.method} ${rule.pattern}`);
    expect(missing).toEqual([]);
  });

  it.each(REST_ROWS.map((row) => [`${row.method} ${row.pattern}`, row] as const))('REST %s', async (_name, row) => {
    const got: Record<string, number | string> = {};
    const want: Record<string, number | string> = {};
    for (const caller of CALLERS) {
      const status = await statusOf(row, caller);
      const expect_ = expected(row, caller);
      got[caller] = expect_ === 'pass' && status !== 401 && status !== 403 ? 'pass' : status;
      want[caller] = expect_;
    }
    expect(got).toEqual(want);
  });

  /**
   * The owner column: an admin token bound to another owner passes every role check, so what
   * it gets on the fixture run (owner "") is the owner rule alone. Nothing is changed: the
   * run does not exist for it.
   */
  it.each(REST_ROWS.filter((row) => row.owner === 'own').map((row) => [`${row.method} ${row.pattern}`, row] as const))(
    'owner: %s reaches only the token\'s owner',
    async (_name, row) => {
      if (!tokens.otherOwner) {
        const created = await http('POST', `${ctx.url}/api/v1/tokens`, { name: 'm-other-owner', role: 'admin', owner: 'other' }, { authorization: `Bearer ${ADMIN}` });
        tokens.otherOwner = created.body.token;
      }
      const headers = { authorization: `Bearer ${tokens.otherOwner}` };
      const path = row.pattern.replace(':id', runId).replace(':stepId', 'review');
      if (row.method === 'GET' && !row.pattern.includes(':id')) {
        const listed = await http('GET', `${ctx.url}${path}`, undefined, headers);
        expect(listed.status).toBe(200);
        expect(listed.body.runs.map((run: { id: string }) => run.id)).not.toContain(runId);
      } else if (row.method === 'POST' && !row.pattern.includes(':id')) {
        const started = await http('POST', `${ctx.url}${path}`, { definition: { name: 'anything', owner: '' } }, headers);
        expect(started.status).toBe(403);
      } else {
        expect((await http(row.method, `${ctx.url}${path}`, row.method === 'GET' ? undefined : {}, headers)).status).toBe(404);
      }
    },
  );

  it('answers 404 to everyone for a path no controller serves', async () => {
    const got = Object.fromEntries(await Promise.all(CALLERS.map(async (c) => [c, (await http('GET', `${ctx.url}/api/v1/not-a-route`, undefined, headersOf(c))).status] as const)));
    expect(got).toEqual(Object.fromEntries(CALLERS.map((c) => [c, 404])));
  });

  it('accepts ?access_token= on the streams only', async () => {
    for (const row of REST_ROWS.filter((r) => r.stream)) {
      const got = Object.fromEntries(await Promise.all(CALLERS.map(async (c) => [c, await statusOf(row, c, 'query')] as const)));
      // A stream only some roles may open (the agent inbox) still answers 403 to the others.
      const mayOpen = (c: (typeof CALLERS)[number]) => !Array.isArray(row.allowed) || (row.allowed as string[]).includes(c);
      const want = Object.fromEntries(
        CALLERS.map((c) => [c, c === 'none' || c === 'invalid' ? 401 : !mayOpen(c) ? 403 : row.stream === 'ws' ? 101 : 200]),
      );
      expect({ route: row.pattern, got }).toEqual({ route: row.pattern, got: want });
    }
    const runs = await http('GET', `${ctx.url}/api/v1/runs?access_token=${tokens.viewer}`);
    expect(runs.status).toBe(401);
  });

  const methods = A2A_ROWS.map((row) => [`${row.version} ${row.method}${row.params('x') && JSON.stringify(row.params('x')).includes('decision') ? ' (decision)' : ''}`, row] as const);

  it.each(methods)('A2A %s: 401 without a valid token, 403 for viewers and operators', async (_name, row) => {
    const got: Record<string, number> = {};
    for (const caller of ['none', 'invalid', 'viewer', 'operator'] as const) {
      got[caller] = (await rpc(ctx.url, caller === 'none' ? undefined : tokens[caller], row.method, row.params(randomUUID()), row.version)).status;
    }
    expect(got).toEqual({ none: 401, invalid: 401, viewer: 403, operator: 403 });
  });

  /** A task of agent A waiting at a human checkpoint, with a push config `cfg`. */
  async function taskOfA(): Promise<string> {
    const sent = await rpc(ctx.url, tokens.agent, 'SendMessage', sendV10({ plan: reviewPlan }));
    const task = sent.body.result.task;
    expect(task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const config = await rpc(ctx.url, tokens.agent, 'CreateTaskPushNotificationConfig', { taskId: task.id, id: 'cfg', url: 'http://127.0.0.1:9/push' });
    expect(config.body.error).toBeUndefined();
    return task.id;
  }

  async function outcomeOf(row: A2aRow, token: string, taskId: string): Promise<A2aOutcome> {
    const answer = await a2aCall(ctx.url, token, row, taskId);
    if (!answer.error) return 'ok';
    if (answer.error.code === -32001) return 'not-found';
    if (answer.error.code === -32000) return 'forbidden';
    return answer.error.code;
  }

  it.each(methods)('A2A %s: an agent touches only its own tasks; an admin any', async (_name, row) => {
    const got: Record<string, A2aOutcome> = {};
    // A fresh task per caller: cancel, delete and decisions change it.
    got.own = await outcomeOf(row, tokens.agent!, await taskOfA());
    got.other = await outcomeOf(row, tokens.agentB!, await taskOfA());
    got.admin = await outcomeOf(row, ADMIN, await taskOfA());
    expect(got).toEqual(row.expect);
  });

  it('lists to an agent only the tasks it submitted', async () => {
    const mine = await taskOfA();
    const idsFor = async (token: string) => {
      const listed = await rpc(ctx.url, token, 'ListTasks', { pageSize: 100 });
      return ((listed.body.result.tasks ?? []) as { id: string }[]).map((task) => task.id);
    };
    expect(await idsFor(tokens.agent!)).toContain(mine);
    expect(await idsFor(tokens.agentB!)).not.toContain(mine);
    expect(await idsFor(ADMIN)).toContain(mine);
  });
});

/** One A2A call; for SSE answers, the first event (then the stream is closed). */
async function a2aCall(url: string, token: string, row: A2aRow, taskId: string): Promise<{ error?: { code: number } }> {
  if (!row.stream) return (await rpc(url, token, row.method, row.params(taskId), row.version)).body;
  const abort = new AbortController();
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  if (row.version === '1.0') headers['a2a-version'] = '1.0';
  const response = await fetch(`${url}/a2a`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: row.method, params: row.params(taskId) }),
    signal: abort.signal,
  });
  try {
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) return (await response.json()) as { error?: { code: number } };
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    return JSON.parse(text.slice(text.indexOf('data:') + 5, text.indexOf('\n\n')).trim());
  } finally {
    abort.abort();
  }
}

function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('error', () => resolve(-1));
  });
}
