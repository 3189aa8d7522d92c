import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { TelemetryService } from '@baton/telemetry';
import { startV1TestAgent, type TestAgent } from '../../../libs/agents/src/clients/a2a/testing/a2a-test-agents.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { http, useTestServer } from './support/test-app.js';
import { waitForRun } from './support/runs.js';
import { sendV10 } from './support/a2a-rpc.js';

/** A real HTTP agent on loopback that records the headers of every call and echoes the body. */
interface HeaderRecorder {
  url: string;
  calls: IncomingHttpHeaders[];
  close(): Promise<void>;
}

function startHeaderRecorder(): Promise<HeaderRecorder> {
  const calls: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      calls.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}/`, calls, close: () => new Promise((done) => server.close(() => done())) });
    }),
  );
}

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

const tracedPlan = {
  name: 'traced',
  steps: [
    { id: 'ask', agent: 'recorder', input: { q: 1 } },
    { id: 'remote', agent: 'remote', depends_on: ['ask'], input: { hello: 'there' } },
    { id: 'team', type: 'pattern', pattern: 'sequential', max_turns: 2, depends_on: ['ask'], agents: [{ name: 'first', agent: 'recorder' }, { name: 'second', agent: 'recorder' }] },
    { id: 'gate', type: 'checkpoint', depends_on: ['remote', 'team'], checkpoint: { prompt: 'Ship it?' } },
  ],
};

describe.each(testDatabaseKinds())('OpenTelemetry traces on %s', (kind) => {
  const env: Record<string, string> = { OTEL_SERVICE_NAME: 'baton-under-test' };
  let receiver: OtlpReceiver;
  let recorder: HeaderRecorder;
  let remote: TestAgent;
  // Before the server starts: it reads OTEL_EXPORTER_OTLP_ENDPOINT from `env` when it does.
  beforeAll(async () => {
    [receiver, recorder, remote] = await Promise.all([startOtlpReceiver(), startHeaderRecorder(), startV1TestAgent('echo')]);
    env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  });
  const ctx = useTestServer(kind, env);
  afterAll(async () => {
    await Promise.all([recorder?.close(), remote?.close()]);
    await receiver?.close();
  });

  beforeAll(async () => {
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { kind: 'http', name: 'recorder', url: recorder.url })).status).toBe(201);
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { kind: 'a2a', name: 'remote', url: remote.url })).status).toBe(201);
  });

  /** Sends the buffered spans and waits until the receiver holds the run span of `runId`. */
  async function spansOf(runId: string): Promise<ReceivedSpan[]> {
    const telemetry = ctx.server.app.get(TelemetryService);
    return waitFor(
      async () => {
        await telemetry.flush();
        const run = receiver.spans.find((s) => s.name.startsWith('run ') && s.attributes['baton.run_id'] === runId);
        return run ? receiver.spans.filter((s) => s.traceId === run.traceId) : undefined;
      },
      { what: `the spans of run ${runId}` },
    );
  }

  it('exports the run as one span tree in the caller’s trace, and hands the agents the agent call span', async () => {
    const started = await http('POST', `${ctx.url}/api/v1/runs`, { plan: tracedPlan, input: {} }, { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` });
    expect(started.status).toBe(201);
    const runId = started.body.id;
    const approval = await waitFor(async () => (await http('GET', `${ctx.url}/api/v1/approvals?status=pending&runId=${runId}`)).body.approvals[0], { what: 'the approval' });
    expect((await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve' })).status).toBe(200);
    expect((await waitForRun(ctx.url, runId)).status).toBe('completed');

    const spans = await spansOf(runId);
    const stored = await ctx.database.db.query<{ trace_context: any }>('select trace_context from orchestration_runs where id = $1::uuid', [runId]);
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found.map((s) => s.name)).toEqual([name]);
      return found[0];
    };
    // The caller's trace id is kept; the run span continues the caller's span.
    expect(spans.every((s) => s.traceId === CALLER_TRACE)).toBe(true);
    const run = one('run traced');
    expect(run).toMatchObject({ parentSpanId: CALLER_SPAN, spanId: stored.rows[0].trace_context.spanId, serviceName: 'baton-under-test' });
    expect(run.attributes).toMatchObject({ 'baton.run_id': runId, 'baton.definition': 'traced', 'baton.run_status': 'completed' });
    // Steps (every claim) are children of the run span.
    const steps = spans.filter((s) => s.name.startsWith('step '));
    expect(new Set(steps.map((s) => s.name))).toEqual(new Set(['step ask', 'step remote', 'step team', 'step gate']));
    for (const step of steps) expect(step).toMatchObject({ parentSpanId: run.spanId, attributes: expect.objectContaining({ 'baton.run_id': runId, 'baton.definition': 'traced' }) });
    // The HTTP agent call: a client span under its step, and the agent got that span as traceparent.
    const ask = one('step ask');
    const askCall = spans.find((s) => s.name === 'agent recorder' && s.parentSpanId === ask.spanId)!;
    expect(askCall).toMatchObject({ kind: 3, attributes: expect.objectContaining({ 'baton.agent': 'recorder', 'url.full': recorder.url, 'http.response.status_code': 200 }) });
    const traceparents = recorder.calls.map((h) => h.traceparent);
    expect(traceparents).toContain(`00-${CALLER_TRACE}-${askCall.spanId}-01`);
    // The A2A agent call: the remote agent got the traceparent of its agent call span.
    const remoteCall = spans.find((s) => s.name === 'agent remote' && s.parentSpanId === one('step remote').spanId)!;
    expect(remoteCall.kind).toBe(3);
    expect(remote.received.map((r) => r.headers.traceparent)).toContain(`00-${CALLER_TRACE}-${remoteCall.spanId}-01`);
    // Pattern turns: under the pattern's step, each with its agent call under it.
    const team = one('step team');
    for (const name of ['turn 1 first', 'turn 2 second']) {
      const turn = one(name);
      expect(turn.parentSpanId).toBe(team.spanId);
      const call = spans.find((s) => s.name === 'agent recorder' && s.parentSpanId === turn.spanId)!;
      expect(traceparents).toContain(`00-${CALLER_TRACE}-${call.spanId}-01`);
    }
    // The approval wait: from the approval's creation to its decision, under the run span.
    const wait = one('approval wait gate');
    expect(wait).toMatchObject({ parentSpanId: run.spanId, attributes: expect.objectContaining({ 'baton.approval_status': 'approved', 'baton.approval_id': approval.id }) });
    expect(wait.startMs).toBeLessThanOrEqual(wait.endMs);
    expect(run.startMs).toBeLessThanOrEqual(wait.startMs);
  });

  it('sends a webhook delivery under the run span, whichever instance sends it', async () => {
    const hooks = await startHeaderRecorder();
    try {
      const created = await http('POST', `${ctx.url}/api/v1/webhooks`, { url: hooks.url, events: ['run.completed'] });
      expect(created.status).toBe(201);
      const started = await http('POST', `${ctx.url}/api/v1/runs`, {
        plan: { name: 'hooked', steps: [{ id: 'only', agent: 'builtin:echo' }] }, input: {},
      }, { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` });
      expect((await waitForRun(ctx.url, started.body.id)).status).toBe('completed');
      const delivered = await waitFor(async () => hooks.calls.find((h) => h['x-baton-event'] === 'run.completed'), { what: 'the webhook delivery' });
      const stored = await ctx.database.db.query<{ trace_context: any }>('select trace_context from orchestration_runs where id = $1::uuid', [started.body.id]);
      expect(delivered.traceparent).toBe(`00-${CALLER_TRACE}-${stored.rows[0]!.trace_context.spanId}-01`);
    } finally {
      await hooks.close();
    }
  });

  it('starts a trace of its own without a traceparent, and marks a failed run', async () => {
    const started = await http('POST', `${ctx.url}/api/v1/runs`, {
      plan: { name: 'doomed', steps: [{ id: 'boom', agent: 'builtin:fail', retry: { max_attempts: 1 } }] },
      input: {},
    }, { traceparent: 'not-a-traceparent' });
    expect(started.status).toBe(201);
    expect((await waitForRun(ctx.url, started.body.id)).status).toBe('failed');
    const spans = await spansOf(started.body.id);
    const run = spans.find((s) => s.name === 'run doomed')!;
    expect(run.traceId).not.toBe(CALLER_TRACE);
    expect(run.parentSpanId).toBe('');
    expect(run.status.code).toBe(2); // ERROR
    const step = spans.find((s) => s.name === 'step boom')!;
    expect(step).toMatchObject({ parentSpanId: run.spanId, status: expect.objectContaining({ code: 2 }) });
  });

  it('keeps the trace of a caller on the A2A gateway, and puts a child run under the step that started it', async () => {
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'traced-child', version: '1', steps: [{ id: 'inner', agent: 'recorder' }] })).status).toBe(201);
    const trace = 'a'.repeat(31) + 'b';
    const plan = { name: 'over-a2a', steps: [{ id: 'nested', type: 'orchestration', definition: { name: 'traced-child' } }] };
    const sent = await http(
      'POST',
      `${ctx.url}/a2a`,
      { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: sendV10({ plan }) },
      { 'a2a-version': '1.0', traceparent: `00-${trace}-${CALLER_SPAN}-01` },
    );
    const taskId = sent.body.result?.task?.id ?? sent.body.result?.id;
    expect(taskId).toBeTruthy();
    const spans = await spansOf(taskId);
    const run = spans.find((s) => s.name === 'run over-a2a')!;
    expect(run).toMatchObject({ traceId: trace, parentSpanId: CALLER_SPAN });
    // The child run: same trace, under the first claim of the step that started it.
    const nested = spans.filter((s) => s.name === 'step nested');
    expect(nested.every((s) => s.parentSpanId === run.spanId)).toBe(true);
    const child = await waitFor(async () => {
      await ctx.server.app.get(TelemetryService).flush();
      return receiver.spans.find((s) => s.name === 'run traced-child' && s.traceId === trace);
    }, { what: 'the child run span' });
    expect(nested.map((s) => s.spanId)).toContain(child.parentSpanId);
    const inner = receiver.spans.find((s) => s.name === 'step inner' && s.traceId === trace)!;
    expect(inner.parentSpanId).toBe(child.spanId);
    const call = receiver.spans.find((s) => s.name === 'agent recorder' && s.parentSpanId === inner.spanId)!;
    expect(recorder.calls.map((h) => h.traceparent)).toContain(`00-${trace}-${call.spanId}-01`);
  });
});

// Tracing off is the default for every other suite; this one shows it end to end, once.
describe('with no OTLP endpoint (pglite)', () => {
  const ctx = useTestServer('pglite');
  let recorder: HeaderRecorder;
  beforeAll(async () => {
    recorder = await startHeaderRecorder();
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { kind: 'http', name: 'recorder', url: recorder.url })).status).toBe(201);
  });
  afterAll(() => recorder?.close());

  it('creates no exporter, stores no trace context and sends no traceparent', async () => {
    expect(ctx.server.app.get(TelemetryService)).toMatchObject({ enabled: false, endpoint: null });
    const started = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'only', agent: 'recorder' }] }, input: {} }, { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` });
    expect((await waitForRun(ctx.url, started.body.id)).status).toBe('completed');
    const { rows } = await ctx.database.db.query<{ trace_context: unknown }>('select trace_context from orchestration_runs where id = $1::uuid', [started.body.id]);
    expect(rows[0].trace_context).toBeNull();
    expect(recorder.calls).toHaveLength(1);
    expect(recorder.calls[0].traceparent).toBeUndefined();
  });
});
