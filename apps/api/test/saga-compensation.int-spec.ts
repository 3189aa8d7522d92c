import { createServer, type Server } from 'node:http';
import { testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
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

/** Waits for the run's pending approval (a compensation that failed for good) and returns it. */
async function pendingApproval(url: string, runId: string): Promise<any> {
  return waitFor(
    async () => (await http('GET', `${url}/api/v1/approvals?runId=${runId}&status=pending`)).body.approvals[0],
    { what: `a pending approval on run ${runId}` },
  );
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
  const ctx = useTestServer(kind, { BATON_FAULT_SWEEP_MS: '100' });
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

  it('asks a person when a compensation fails for good; give up ends the run partial after undoing the steps before it', async () => {
    ledger.status = (body) => (body.step === 'c' && body.op === 'do') || (body.op === 'undo' && body.step === 'b') ? 400 : 200;
    const run = await startPlan(ctx.url, {
      orchestration: ROLLBACK,
      steps: [sagaStep('a', []), sagaStep('b', ['a']), sagaStep('c', ['b'])],
    });
    const approval = await pendingApproval(ctx.url, run.id);
    expect(approval).toMatchObject({ kind: 'compensation', stepId: 'b', status: 'pending', payload: { step: 'b', agent: 'ledger', choices: ['retry', 'give_up'] } });
    // The rollback waits for the decision: a (before b) is not undone yet, the run is compensating.
    expect((await http('GET', `${ctx.url}/api/v1/runs/${run.id}`)).body.status).toBe('compensating');
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'do:b', 'do:c', 'undo:b']);
    // retry / give_up are a compensation approval's words; a bad one is a 400 naming the field.
    const bad = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'maybe' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('decision');
    const decided = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'give_up', comment: 'booked by hand' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'rejected', decision: 'reject' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'failed', compensation: 'partial' });
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'do:b', 'do:c', 'undo:b', 'undo:a']);
    const log = await events(ctx.database, run.id);
    expect(log.find((e) => e.type === 'step.compensation_failed')).toMatchObject({ step_key: 'b', data: { final: true, escalated: true } });
    expect(log.filter((e) => e.type.startsWith('approval.')).map((e) => `${e.type}:${e.data.kind}`)).toEqual(['approval.requested:compensation', 'approval.decided:compensation']);
    expect((await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'retry' })).status).toBe(409);
  });

  it('retries an escalated compensation with fresh attempts when the person chooses retry', async () => {
    let undoB = 0;
    ledger.status = (body) => {
      if (body.op === 'do') return body.step === 'c' ? 400 : 200;
      return body.step === 'b' && ++undoB <= 2 ? 503 : 200; // b's undo fails its 2 attempts, then works
    };
    const run = await startPlan(ctx.url, {
      orchestration: ROLLBACK,
      steps: [sagaStep('a', []), sagaStep('b', ['a'], { max_attempts: 2, initial_delay_ms: 10 }), sagaStep('c', ['b'])],
    });
    const approval = await pendingApproval(ctx.url, run.id);
    expect(approval).toMatchObject({ kind: 'compensation', stepId: 'b', attempt: 2 });
    const decided = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'retry' });
    expect(decided.status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'failed', compensation: 'completed' });
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'do:b', 'do:c', 'undo:b', 'undo:b', 'undo:b', 'undo:a']);
    const { rows } = await ctx.database.db.query<{ step_key: string; status: string; attempt: number; max_attempts: number }>(
      'select step_key, status, attempt, max_attempts from orchestration_compensations where run_id = $1::uuid order by step_key', [run.id],
    );
    expect(rows).toEqual([
      { step_key: 'a', status: 'completed', attempt: 1, max_attempts: 3 },
      { step_key: 'b', status: 'completed', attempt: 3, max_attempts: 4 },
    ]);
  });

  it('abandons a rollback that outlives its timeout: compensation partial, run.compensation_timed_out, approval cancelled', async () => {
    ledger.status = (body) => (body.op === 'do' && body.step === 'b') || (body.op === 'undo' && body.step === 'a') ? 400 : 200;
    const run = await startPlan(ctx.url, {
      orchestration: { error_handling: { rollback: { on_failure: 'compensate', timeout_seconds: 120 } } },
      steps: [sagaStep('a', []), sagaStep('b', ['a'])],
    });
    const approval = await pendingApproval(ctx.url, run.id);
    // The definition's timeout_seconds set the rollback's deadline; time passes (by hand: a short
    // real timeout races the approval under load).
    const { rows: deadlines } = await ctx.database.db.query<{ seconds: number }>(
      'select extract(epoch from deadline_at - created_at)::int as seconds from orchestration_compensations where run_id = $1::uuid', [run.id],
    );
    expect(deadlines).toEqual([{ seconds: 120 }]);
    await ctx.database.db.query(`update orchestration_compensations set deadline_at = now() where run_id = $1::uuid`, [run.id]);
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'failed', compensation: 'partial', error: { stepKey: 'b' } });
    const log = await events(ctx.database, run.id);
    expect(log.find((e) => e.type === 'run.compensation_timed_out')!.data).toEqual({ code: 'compensation_timeout', abandoned: ['a'] });
    expect(log.at(-1)).toMatchObject({ type: 'run.failed', data: { compensation: 'partial' } });
    const { rows } = await ctx.database.db.query<{ status: string }>('select status from orchestration_compensations where run_id = $1::uuid', [run.id]);
    expect(rows).toEqual([{ status: 'abandoned' }]);
    await waitFor(async () => (await http('GET', `${ctx.url}/api/v1/approvals/${approval.id}`)).body.status === 'cancelled', { what: 'the approval cancelled with its run' });
    expect((await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'retry' })).status).toBe(409);
  });

  it('compensates a run cancelled at its deadline when rollback.on_failure is compensate', async () => {
    const run = await startPlan(
      ctx.url,
      { orchestration: ROLLBACK, steps: [sagaStep('a', []), { id: 'slow', agent: 'builtin:delay', depends_on: ['a'], input: { ms: 20000 } }] },
      {},
      { timeout_seconds: 1 },
    );
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'cancelled', compensation: 'completed', error: { code: 'run_timeout' } });
    expect(stepOf(done, 'slow').status).toBe('cancelled');
    expect(ledger.calls.map((call) => `${call.op}:${call.step}`)).toEqual(['do:a', 'undo:a']);
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
    const badTimeout = await http('POST', `${ctx.url}/api/v1/runs`, {
      plan: { orchestration: { error_handling: { rollback: { on_failure: 'compensate', timeout_seconds: 0 } } }, steps: [{ id: 'a', agent: 'ledger' }] },
    });
    expect(badTimeout.status).toBe(400);
    expect(JSON.stringify(badTimeout.body)).toContain('orchestration.error_handling.rollback.timeout_seconds');
  });
});
