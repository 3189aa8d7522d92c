import { createServer, type Server } from 'node:http';
import { testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

/**
 * A real HTTP agent on loopback that records every call in order; `status(body, call)` picks
 * the answer's status (2xx echoes `{ done: body }`).
 */
interface Recorder {
  server: Server;
  url: string;
  calls: any[];
  status: (body: any, call: number) => number;
  close(): Promise<void>;
}

function startRecorder(): Promise<Recorder> {
  const recorder = { calls: [] as any[], status: () => 200 } as unknown as Recorder;
  recorder.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || 'null');
      recorder.calls.push(body);
      const code = recorder.status(body, recorder.calls.length);
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(code < 300 ? { done: body } : { error: 'nope' }));
    });
  });
  return new Promise((resolve) =>
    recorder.server.listen(0, '127.0.0.1', () => {
      const { port } = recorder.server.address() as { port: number };
      recorder.url = `http://127.0.0.1:${port}/`;
      recorder.close = () => new Promise((done) => recorder.server.close(() => done()));
      resolve(recorder);
    }),
  );
}

async function events(database: TestDatabase, runId: string): Promise<Array<{ type: string; step_key: string | null; data: any }>> {
  const { rows } = await database.db.query<{ type: string; step_key: string | null; data: any }>(
    'select type, step_key, data from orchestration_events where run_id = $1::uuid order by seq',
    [runId],
  );
  return rows;
}

/** A step that books something with the ledger agent, and its compensation that cancels it. */
function sagaStep(id: string, dependsOn: string[], retry?: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    agent: 'ledger',
    depends_on: dependsOn,
    input: { op: 'do', step: id, order: '{{ input.order }}' },
    retry: { max_attempts: 1 },
    compensate: {
      agent: 'ledger',
      input: { op: 'undo', step: id, booked: '{{ step.output.done.step }}', order: '{{ step.input.order }}' },
      timeout_seconds: 5,
      ...(retry && { retry }),
    },
  };
}

const ROLLBACK = { error_handling: { rollback: { on_failure: 'compensate' } } };

describe.each(testDatabaseKinds())('saga compensation on %s', (kind) => {
  const ctx = useTestServer(kind);
  let ledger: Recorder;

  beforeAll(async () => {
    ledger = await startRecorder();
    const response = await http('POST', `${ctx.url}/api/v1/agents`, { kind: 'http', name: 'ledger', url: ledger.url });
    expect(response.status).toBeLessThan(300);
  });
  afterAll(() => ledger?.close());
  beforeEach(() => {
    ledger.calls.length = 0;
    ledger.status = () => 200;
  });

  it('undoes the completed steps of a failed run in reverse dependency order', async () => {
    // d fails for good (a 4xx is not retried); a, b and c completed and are undone c, b, a.
    ledger.status = (body) => (body.op === 'do' && body.step === 'd' ? 400 : 200);
    const run = await startPlan(ctx.url, {
      orchestration: ROLLBACK,
      steps: [sagaStep('a', []), sagaStep('b', ['a']), sagaStep('c', ['b']), sagaStep('d', ['c'])],
    }, { order: 'o-1' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'failed', compensation: 'completed', error: { stepKey: 'd' } });
    expect(stepOf(done, 'd').status).toBe('failed');
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'do:b', 'do:c', 'do:d', 'undo:c', 'undo:b', 'undo:a']);
    // The compensation's template saw the step's own input and output.
    expect(ledger.calls.find((call) => call.op === 'undo' && call.step === 'a')).toEqual({ op: 'undo', step: 'a', booked: 'a', order: 'o-1' });
    const log = await events(ctx.database, run.id);
    const types = log.map((e) => `${e.type}${e.step_key ? `:${e.step_key}` : ''}`);
    expect(types.filter((t) => t.startsWith('run.'))).toEqual(['run.created', 'run.started', 'run.compensating', 'run.failed']);
    expect(types.filter((t) => t.startsWith('step.compensat'))).toEqual([
      'step.compensating:c', 'step.compensated:c', 'step.compensating:b', 'step.compensated:b', 'step.compensating:a', 'step.compensated:a',
    ]);
    expect(log.at(-1)!.data).toMatchObject({ from: 'compensating', to: 'failed', compensation: 'completed' });
    const { rows } = await ctx.database.db.query<{ status: string; attempt: number }>(
      'select status, attempt from orchestration_compensations where run_id = $1::uuid', [run.id],
    );
    expect(rows).toEqual([{ status: 'completed', attempt: 1 }, { status: 'completed', attempt: 1 }, { status: 'completed', attempt: 1 }]);
  });

  it('retries a compensation that fails once, then ends the run with compensation completed', async () => {
    let undoCalls = 0;
    ledger.status = (body) => {
      if (body.op === 'do') return body.step === 'b' ? 400 : 200;
      return ++undoCalls === 1 ? 503 : 200;
    };
    const run = await startPlan(ctx.url, {
      orchestration: ROLLBACK,
      steps: [sagaStep('a', [], { max_attempts: 3, initial_delay_ms: 20 }), sagaStep('b', ['a'])],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'failed', compensation: 'completed' });
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'do:b', 'undo:a', 'undo:a']);
    const log = (await events(ctx.database, run.id)).filter((e) => e.type.startsWith('step.compensat'));
    expect(log.map((e) => e.type)).toEqual(['step.compensating', 'step.compensation_failed', 'step.compensating', 'step.compensated']);
    expect(log[1]!.data).toMatchObject({ attempt: 1, final: false, delayMs: 20 });
    expect(log[3]!.data).toMatchObject({ attempt: 2 });
  });

  it('ends with compensation partial when a compensation fails for good, and still undoes the steps before it', async () => {
    ledger.status = (body) => (body.step === 'c' && body.op === 'do') || (body.op === 'undo' && body.step === 'b') ? 400 : 200;
    const run = await startPlan(ctx.url, {
      orchestration: ROLLBACK,
      steps: [sagaStep('a', []), sagaStep('b', ['a']), sagaStep('c', ['b'])],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'failed', compensation: 'partial' });
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'do:b', 'do:c', 'undo:b', 'undo:a']);
    const failed = (await events(ctx.database, run.id)).find((e) => e.type === 'step.compensation_failed');
    expect(failed).toMatchObject({ step_key: 'b', data: { final: true } });
  });

  it('does not roll back without rollback.on_failure: compensate', async () => {
    ledger.status = (body) => (body.step === 'b' ? 400 : 200);
    const run = await startPlan(ctx.url, { steps: [sagaStep('a', []), sagaStep('b', ['a'])] });
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'failed', compensation: null });
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'do:b']);
  });

  it('rolls back a failed run by hand with POST /runs/:id/compensate, once', async () => {
    ledger.status = (body) => (body.op === 'do' && body.step === 'b' ? 400 : 200);
    const run = await startPlan(ctx.url, { steps: [sagaStep('a', []), sagaStep('b', ['a'])] });
    expect((await waitForRun(ctx.url, run.id)).compensation).toBeNull();
    const started = await http('POST', `${ctx.url}/api/v1/runs/${run.id}/compensate`);
    expect(started.status).toBe(202);
    expect(started.body.status).toBe('compensating');
    const done = await waitForRun(ctx.url, run.id, (r) => r.compensation !== null);
    expect(done).toMatchObject({ status: 'failed', compensation: 'completed', error: { stepKey: 'b' } });
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'do:b', 'undo:a']);
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/compensate`)).status).toBe(409);
    const completed = await startPlan(ctx.url, { steps: [{ id: 'x', agent: 'builtin:echo' }] });
    await waitForRun(ctx.url, completed.id);
    expect((await http('POST', `${ctx.url}/api/v1/runs/${completed.id}/compensate`)).status).toBe(409);
  });

  it('compensates the completed steps of a run cancelled with { compensate: true }', async () => {
    const run = await startPlan(ctx.url, {
      steps: [sagaStep('a', []), { id: 'slow', agent: 'builtin:delay', depends_on: ['a'], input: { ms: 20000 } }],
    });
    await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'slow').status === 'running');
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/cancel`, { compensate: 'yes' })).status).toBe(400);
    const cancelled = await http('POST', `${ctx.url}/api/v1/runs/${run.id}/cancel`, { compensate: true });
    expect(cancelled.status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'cancelled', compensation: 'completed' });
    expect(stepOf(done, 'slow').status).toBe('cancelled');
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'undo:a']);
  });

  it('refuses a bad compensate block or rollback setting with 400 naming the path', async () => {
    const noAgent = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'a', agent: 'ledger', compensate: { input: {} } }] } });
    expect(noAgent.status).toBe(400);
    expect(JSON.stringify(noAgent.body)).toContain('steps[0].compensate.agent');
    const badRetry = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'a', agent: 'ledger', compensate: { agent: 'ledger', retry: { max_attempts: 0 } } }] } });
    expect(badRetry.status).toBe(400);
    expect(JSON.stringify(badRetry.body)).toContain('steps[0].compensate.retry.max_attempts');
    const badTemplate = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'a', agent: 'ledger', compensate: { agent: 'ledger', input: '{{ step.nope }}' } }] } });
    expect(badTemplate.status).toBe(400);
    expect(JSON.stringify(badTemplate.body)).toContain('steps[0].compensate.input');
    const badRollback = await http('POST', `${ctx.url}/api/v1/runs`, {
      plan: { orchestration: { error_handling: { rollback: { on_failure: 'maybe' } } }, steps: [{ id: 'a', agent: 'ledger' }] },
    });
    expect(badRollback.status).toBe(400);
    expect(JSON.stringify(badRollback.body)).toContain('orchestration.error_handling.rollback.on_failure');
  });
});
