import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { testDatabaseKinds } from '@baton/testing';
import { rpc, sendV10 } from './support/a2a-rpc.js';
import { http, useTestServer } from './support/test-app.js';
import { stepOf, waitForRun } from './support/runs.js';

const REGISTRATION = 'degraded-doors-registration-0123456789';
const reviewPlan = {
  steps: [
    { id: 'draft', agent: 'builtin:transform', input: { title: 'Tides' } },
    { id: 'review', type: 'checkpoint', depends_on: ['draft'], checkpoint: { prompt: 'Publish?' } },
  ],
};

/**
 * Issue 16: degraded is read-only, but "reads, streams, approvals of running work and health
 * continue" and running steps finish, whatever the door: A2A and MCP (one JSON-RPC route for
 * reads, decisions and writes) and the worker-node protocol a running step completes through.
 */
describe.each(testDatabaseKinds())('degraded mode at every door on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200', BATON_NODE_REGISTRATION_TOKEN: REGISTRATION, BATON_NODE_LEASE_SECONDS: '30' });
  const setMode = (mode: string, reason: string) => http('POST', `${ctx.url}/api/v1/system/mode`, { mode, reason });
  afterEach(async () => {
    await setMode('normal', 'test cleanup');
  });

  it('A2A: reads and a decision on a waiting task go on; new tasks, cancels and push configs are refused with the reason', async () => {
    const started = await rpc(ctx.url, undefined, 'SendMessage', sendV10({ plan: reviewPlan }));
    const taskId = started.body.result.task.id as string;
    expect(started.body.result.task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    await setMode('degraded', 'disk alarm');

    const read = await rpc(ctx.url, undefined, 'GetTask', { id: taskId });
    expect(read.body.result.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const fresh = await rpc(ctx.url, undefined, 'SendMessage', sendV10({ plan: reviewPlan }));
    expect(fresh.body.error.message).toBe('Baton is in degraded mode and admits no new runs: disk alarm');
    const cancel = await rpc(ctx.url, undefined, 'CancelTask', { id: taskId });
    expect(cancel.body.error.message).toContain('degraded (read-only) mode: disk alarm');
    const push = await rpc(ctx.url, undefined, 'CreateTaskPushNotificationConfig', { taskId, url: 'https://example.org/hook' });
    expect(push.body.error.message).toContain('degraded (read-only) mode: disk alarm');

    // The approval of running work is taken; the step resumes once dispatch is open again.
    const decided = await rpc(ctx.url, undefined, 'SendMessage', sendV10({ decision: 'approve', comment: 'fine' }, { taskId, returnImmediately: true }));
    expect(decided.body.error).toBeUndefined();
    const approvals = await http('GET', `${ctx.url}/api/v1/approvals?runId=${taskId}`);
    expect(approvals.body.approvals[0]).toMatchObject({ status: 'approved', comment: 'fine' });
    expect((await http('GET', `${ctx.url}/api/v1/runs/${taskId}`)).body.status).not.toBe('cancelled');
    await setMode('normal', 'disk fine');
    expect((await waitForRun(ctx.url, taskId)).status).toBe('completed');
  });

  it('MCP: read tools answer, control tools are refused with the reason', async () => {
    const run = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'x', agent: 'builtin:echo' }] } });
    await waitForRun(ctx.url, run.body.id);
    await setMode('degraded', 'restoring a backup');
    const client = new Client({ name: 'baton-degraded-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${ctx.url}/mcp`)));
    try {
      const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
      const text = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
      const got = await call('get_run', { runId: run.body.id });
      expect(got.isError).toBeFalsy();
      expect(text(got)).toContain(run.body.id);
      const retry = await call('retry_step', { runId: run.body.id, stepId: 'x' });
      expect(retry.isError).toBe(true);
      expect(text(retry)).toContain('degraded (read-only) mode: restoring a backup');
      const start = await call('start_run', { plan: { steps: [{ id: 'y', agent: 'builtin:echo' }] } });
      expect(start.isError).toBe(true);
      expect(text(start)).toContain('admits no new runs');
    } finally {
      await client.close();
    }
  });

  it('worker nodes: a step running on a node finishes (heartbeat, complete) while the hub is degraded', async () => {
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: `resize-${kind}`, kind: 'worker', capabilities: ['images'] })).status).toBe(201);
    const boot = (await http('POST', `${ctx.url}/api/v1/nodes/register`, { name: `n-${kind}`, capabilities: [`resize-${kind}`], max_concurrent_jobs: 1 }, { authorization: `Bearer ${REGISTRATION}` })).body;
    const auth = { authorization: `Bearer ${boot.node_token}` };
    const base = `${ctx.url}/api/v1/nodes/${boot.node_id}`;
    const run = (await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'r', agent: `resize-${kind}` }] } })).body;
    const claimed = await http('POST', `${base}/claim`, { wait_seconds: 10 }, auth);
    expect(claimed.status).toBe(200);
    const job = claimed.body.jobs?.[0] ?? claimed.body.job ?? claimed.body;
    expect(job.lease_token).toBeDefined();

    await setMode('degraded', 'database maintenance');
    expect((await http('POST', `${base}/heartbeat`, {}, auth)).status).toBe(200);
    expect((await http('POST', `${base}/jobs/${job.id}/complete`, { lease_token: job.lease_token, output: { ok: true } }, auth)).status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'r').output).toEqual({ ok: true });
    // Other writes stay refused.
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'later', kind: 'http', url: 'http://127.0.0.1:9/x' })).status).toBe(503);
  });
});
