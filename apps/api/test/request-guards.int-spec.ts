import WebSocket from 'ws';
import { testDatabaseKinds } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { rawRequest, type RawRequest } from './support/raw-http.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

const ECHO_PLAN = { steps: [{ id: 'a', agent: 'builtin:echo', input: { x: 1 } }] };

/** A raw request (any Host or Origin), answered with status and JSON body. */
async function raw(url: string, request: RawRequest): Promise<{ status: number; body: any; head: string }> {
  const answer = await rawRequest(Number(new URL(url).port), request);
  const text = answer.head.split('\r\n\r\n')[1] ?? '';
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (a stream)
  }
  return { status: answer.status, body, head: answer.head };
}

async function runCount(url: string): Promise<number> {
  return (await http('GET', `${url}/api/v1/runs?limit=500`)).body.runs.length;
}

function openSocket(url: string, headers: Record<string, string>): Promise<{ opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/ws`, { headers });
    socket.on('open', () => {
      socket.close();
      resolve({ opened: true });
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve({ opened: false, status: response.statusCode });
      socket.terminate();
    });
    socket.on('error', () => resolve({ opened: false }));
  });
}

describe.each(testDatabaseKinds())('request guards on %s', (kind) => {
  const ctx = useTestServer(kind, {
    BATON_BODY_LIMIT: '2kb',
    BATON_DEFINITION_BODY_LIMIT: '64kb',
    BATON_MAX_STEPS: '5',
    BATON_MAX_RUN_DEPTH: '1',
    BATON_ALLOWED_ORIGINS: 'https://console.example.com',
    BATON_POLL_INTERVAL_MS: '200',
  });
  const origin = () => ctx.url; // http://127.0.0.1:<port>

  describe('browser-borne requests (auth off, loopback)', () => {
    it('refuses a cross-origin text/plain POST to /a2a and starts nothing', async () => {
      const before = await runCount(ctx.url);
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'baton/create', params: { plan: ECHO_PLAN } });
      const answer = await raw(ctx.url, { method: 'POST', path: '/a2a', headers: { origin: 'https://attacker.example', 'content-type': 'text/plain' }, body });
      expect(answer.status).toBe(403);
      expect(answer.body.message).toMatch(/cross-origin request from "https:\/\/attacker.example" refused/);
      expect(await runCount(ctx.url)).toBe(before);
    });

    it('refuses a cross-origin form POST that would cancel a run', async () => {
      const run = await startPlan(ctx.url, { steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 60_000 } }] });
      const answer = await raw(ctx.url, {
        method: 'POST',
        path: `/api/v1/runs/${run.id}/cancel`,
        headers: { origin: 'null', 'content-type': 'application/x-www-form-urlencoded' },
        body: 'x=1',
      });
      expect(answer.status).toBe(403);
      expect((await http('GET', `${ctx.url}/api/v1/runs/${run.id}`)).body.status).not.toBe('cancelled');
      await http('POST', `${ctx.url}/api/v1/runs/${run.id}/cancel`);
    });

    it('refuses a Host it does not serve (DNS rebinding), even "same-origin"', async () => {
      const answer = await raw(ctx.url, { method: 'GET', path: '/api/v1/runs', headers: { host: 'attacker.example:3000', origin: 'http://attacker.example:3000' } });
      expect(answer.status).toBe(403);
      expect(answer.body.message).toMatch(/Host "attacker.example:3000" is not a name this server answers to/);
    });

    it('serves same-origin requests under loopback names, SSE included, and configured origins', async () => {
      const port = new URL(ctx.url).port;
      const created = await raw(ctx.url, {
        method: 'POST',
        path: '/api/v1/runs',
        headers: { origin: origin(), 'content-type': 'application/json' },
        body: JSON.stringify({ plan: ECHO_PLAN }),
      });
      expect(created.status).toBe(201);
      const local = await raw(ctx.url, { method: 'GET', path: `/api/v1/runs/${created.body.id}`, headers: { host: `localhost:${port}`, origin: `http://localhost:${port}` } });
      expect(local.status).toBe(200);
      const stream = await raw(ctx.url, { method: 'GET', path: `/api/v1/runs/${created.body.id}/events`, headers: { origin: origin() } });
      expect(stream.status).toBe(200);
      expect(stream.head).toMatch(/content-type: text\/event-stream/i);
      const configured = await raw(ctx.url, { method: 'GET', path: '/api/v1/runs?limit=1', headers: { origin: 'https://console.example.com' } });
      expect(configured.status).toBe(200);
    });

    it('checks the Origin of WebSocket upgrades too', async () => {
      expect(await openSocket(ctx.url, { origin: 'https://attacker.example' })).toEqual({ opened: false, status: 403 });
      expect(await openSocket(ctx.url, { origin: origin() })).toEqual({ opened: true });
      expect(await openSocket(ctx.url, {})).toEqual({ opened: true });
    });
  });

  describe('bounded work per request', () => {
    it('answers 413 naming the limit: small on ordinary routes, larger for definitions and plans', async () => {
      const big = { decision: 'approve', comment: 'x'.repeat(3000) };
      const ordinary = await http('POST', `${ctx.url}/api/v1/approvals/00000000-0000-0000-0000-000000000000/decision`, big);
      expect(ordinary.status).toBe(413);
      expect(ordinary.body.message).toBe('request body is larger than 2kb, the limit for this route (BATON_BODY_LIMIT)');
      // 3 kB is fine for a plan (64 kB), 70 kB is not.
      const plan = { steps: [{ id: 'a', agent: 'builtin:echo', input: { text: 'x'.repeat(3000) } }] };
      expect((await http('POST', `${ctx.url}/api/v1/runs`, { plan })).status).toBe(201);
      const tooBig = await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'big', version: '1', description: 'x'.repeat(70_000), steps: ECHO_PLAN.steps });
      expect(tooBig.status).toBe(413);
      expect(tooBig.body.message).toMatch(/larger than 64kb.*BATON_DEFINITION_BODY_LIMIT/);
    });

    it('refuses a body that is not JSON on a JSON route (415) instead of ignoring it', async () => {
      const before = await runCount(ctx.url);
      const text = await http('POST', `${ctx.url}/api/v1/runs`, JSON.stringify({ plan: ECHO_PLAN }), { 'content-type': 'text/plain' });
      expect(text.status).toBe(415);
      expect(text.body.message).toBe('Content-Type "text/plain" is not accepted here: send application/json');
      const yaml = await http('POST', `${ctx.url}/api/v1/definitions`, 'name: y\nversion: "1"\nsteps: [{id: a, agent: "builtin:echo"}]\n', { 'content-type': 'application/yaml' });
      expect(yaml.status).toBe(201);
      expect(await runCount(ctx.url)).toBe(before);
    });

    it('refuses more steps than BATON_MAX_STEPS', async () => {
      const steps = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, agent: 'builtin:echo' }));
      const answer = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps } });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([{ path: 'steps', message: 'has 6 steps, more than the 5 allowed (BATON_MAX_STEPS)' }]);
    });

    it('refuses a definition that starts itself, directly or through another, naming the step', async () => {
      const direct = await http('POST', `${ctx.url}/api/v1/definitions`, {
        name: 'ouroboros',
        version: '1',
        steps: [{ id: 'first', agent: 'builtin:echo' }, { id: 'again', type: 'orchestration', definition: { name: 'ouroboros' } }],
      });
      expect(direct.status).toBe(400);
      expect(direct.body.details).toEqual([{ path: 'steps[1].definition', message: expect.stringMatching(/starts "ouroboros" again \("ouroboros" → "ouroboros"\)/) }]);

      const ping = { name: 'ping', version: '1', steps: [{ id: 'to-pong', type: 'orchestration', definition: { name: 'pong' } }] };
      expect((await http('POST', `${ctx.url}/api/v1/definitions`, ping)).status).toBe(201); // pong is not stored yet
      const pong = await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'pong', version: '1', steps: [{ id: 'to-ping', type: 'orchestration', definition: { name: 'ping' } }] });
      expect(pong.status).toBe(400);
      expect(pong.body.details).toEqual([{ path: 'steps[0].definition', message: expect.stringMatching(/\("pong" → "ping" → "pong"\)/) }]);
      expect((await http('GET', `${ctx.url}/api/v1/definitions/pong`)).status).toBe(404);
    });

    it('fails a child run nested deeper than BATON_MAX_RUN_DEPTH, without retrying', async () => {
      for (const [name, steps] of [
        ['leaf', [{ id: 'a', agent: 'builtin:echo' }]],
        ['middle', [{ id: 'to-leaf', type: 'orchestration', definition: { name: 'leaf' }, retry: { max_attempts: 3 } }]],
      ] as const) {
        expect((await http('POST', `${ctx.url}/api/v1/definitions`, { name, version: '1', steps })).status).toBe(201);
      }
      // Depth 1 (a child) is allowed: middle runs leaf.
      const middle = await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'middle' } });
      expect((await waitForRun(ctx.url, middle.body.id)).status).toBe('completed');
      // Depth 2 (a grandchild) is not: a plan runs middle, which would run leaf.
      const top = await startPlan(ctx.url, { steps: [{ id: 'to-middle', type: 'orchestration', definition: { name: 'middle' } }] });
      const finished = await waitForRun(ctx.url, top.id);
      expect(finished.status).toBe('failed');
      const childId = stepOf(finished, 'to-middle').childRunId ?? stepOf(finished, 'to-middle').child?.id;
      const child = (await http('GET', `${ctx.url}/api/v1/runs/${childId}`)).body;
      expect(stepOf(child, 'to-leaf')).toMatchObject({
        status: 'failed',
        attempt: 1,
        error: { code: 'run_depth_exceeded', retryable: false, message: expect.stringMatching(/2 levels deep, more than the 1 allowed \(BATON_MAX_RUN_DEPTH\)/) },
      });
    });
  });

  describe('every bad input is a 4xx naming the field', () => {
    it('refuses NUL bytes and bad escapes in the path and the query', async () => {
      const nul = await http('GET', `${ctx.url}/api/v1/definitions/a%00b`);
      expect(nul.status).toBe(400);
      expect(nul.body.details).toEqual([{ path: 'path', message: 'segment "a%00b" must not contain NUL characters (\\u0000)' }]);
      const surrogate = await http('GET', `${ctx.url}/api/v1/agents/%ED%A0%80`);
      expect(surrogate.body.details[0]).toEqual({ path: 'path', message: 'segment "%ED%A0%80" is not valid percent-encoded UTF-8' });
      const query = await http('GET', `${ctx.url}/api/v1/definitions?owner=%00`);
      expect(query.body.details).toEqual([{ path: 'query.owner', message: 'must not contain NUL characters (\\u0000)' }]);
      const twice = await http('GET', `${ctx.url}/api/v1/events?types=a&types=b`);
      expect([twice.status, twice.body.details]).toEqual([400, [{ path: 'query.types', message: 'must be given once, as text' }]]);
    });

    it('refuses NUL characters and lone surrogates in JSON string values, naming the field', async () => {
      const nul = await http('POST', `${ctx.url}/api/v1/runs`, { plan: ECHO_PLAN, input: { topic: 'a\u0000b' } });
      expect([nul.status, nul.body.details]).toEqual([400, [{ path: 'input.topic', message: 'must not contain NUL characters (\\u0000)' }]]);
      const lone = await http('POST', `${ctx.url}/api/v1/runs`, '{"plan": {"steps": [{"id": "a", "agent": "builtin:echo"}]}, "metadata": {"m": "\\ud800"}}', { 'content-type': 'application/json' });
      expect([lone.status, lone.body.details[0].path]).toEqual([400, 'metadata.m']);
    });

    it('refuses JSON nested 5,000 levels deep with a 400, not a RangeError', async () => {
      const deep = `{"plan": {"steps": [{"id": "a", "agent": "builtin:echo"}]}, "input": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
      const answer = await http('POST', `${ctx.url}/api/v1/runs`, deep, { 'content-type': 'application/json' });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([{ path: `input${'[0]'.repeat(63)}`, message: 'is nested deeper than 64 levels' }]);
    });

    it('treats a top-level __proto__ key as an unknown field', async () => {
      const answer = await http('POST', `${ctx.url}/api/v1/runs`, '{"plan": {"steps": [{"id": "a", "agent": "builtin:echo"}]}, "__proto__": {"x": 1}}', { 'content-type': 'application/json' });
      expect([answer.status, answer.body.details]).toEqual([400, [{ path: '__proto__', message: 'is not an accepted field name' }]]);
    });

    it('refuses secret: null on a webhook, naming the field', async () => {
      const answer = await http('POST', `${ctx.url}/api/v1/webhooks`, { url: 'http://127.0.0.1:9/hook', secret: null });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([{ path: 'secret', message: 'secret must be a string' }]);
    });

    it('refuses YAML alias bombs and undefined aliases', async () => {
      const levels = ['name: lol', 'version: "1"', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
      for (let i = 1; i <= 9; i++) levels.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
      levels.push('steps: [{ id: s, agent: "builtin:echo", input: *a9 }]');
      const bomb = await http('POST', `${ctx.url}/api/v1/definitions`, levels.join('\n'), { 'content-type': 'application/yaml' });
      expect([bomb.status, bomb.body.details]).toEqual([400, [{ path: 'body', message: expect.stringMatching(/alias bomb/) }]]);
      const undefinedAlias = await http('POST', `${ctx.url}/api/v1/definitions`, 'name: a\nversion: "1"\nsteps: *nope\n', { 'content-type': 'application/yaml' });
      expect(undefinedAlias.status).toBe(400);
    });
  });
});
