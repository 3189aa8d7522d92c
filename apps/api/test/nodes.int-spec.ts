import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, waitForRun } from './support/runs.js';

const REGISTRATION = 'node-registration-secret-0123456789';

/**
 * The worker node protocol against a real server, the nodes played by this test over HTTP:
 * registration, configuration and its acknowledgement, long-poll claims under leases, a
 * lease that runs out and moves the job to another node, fenced and duplicate completions.
 */
describe.each(testDatabaseKinds())('worker nodes on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_NODE_REGISTRATION_TOKEN: REGISTRATION, BATON_NODE_LEASE_SECONDS: '1', BATON_POLL_INTERVAL_MS: '200', BATON_SHUTDOWN_GRACE_MS: '1000' });

  beforeAll(async () => {
    const agent = await http('POST', `${ctx.url}/api/v1/agents`, { name: 'resize', kind: 'worker', capabilities: ['images'] });
    expect(agent.status).toBe(201);
  });

  async function register(name: string, capabilities = ['resize'], token = REGISTRATION) {
    return http('POST', `${ctx.url}/api/v1/nodes/register`, { name, capabilities, labels: { zone: 'a' }, max_concurrent_jobs: 2 }, { authorization: `Bearer ${token}` });
  }

  function node(boot: { node_id: string; node_token: string }) {
    const auth = { authorization: `Bearer ${boot.node_token}` };
    const base = `${ctx.url}/api/v1/nodes/${boot.node_id}`;
    return {
      claim: (wait = 5) => http('POST', `${base}/claim`, { wait_seconds: wait }, auth),
      complete: (job: any, output: unknown) => http('POST', `${base}/jobs/${job.id}/complete`, { lease_token: job.lease_token, output }, auth),
      fail: (job: any, message: string) => http('POST', `${base}/jobs/${job.id}/fail`, { lease_token: job.lease_token, error: { message, retryable: false } }, auth),
      heartbeat: () => http('POST', `${base}/heartbeat`, {}, auth),
      config: () => http('GET', `${base}/config`, undefined, auth),
      ack: (body: unknown) => http('POST', `${base}/config`, body, auth),
    };
  }

  it('registers a node with the registration token, serves its configuration and records the acknowledgement', async () => {
    expect((await register('n0', ['resize'], 'wrong-token')).status).toBe(401);
    const boot = await register('n1');
    expect(boot.status).toBe(201);
    expect(boot.body).toMatchObject({ node_id: expect.any(String), node_token: expect.stringMatching(/^baton_node_/), lease_seconds: 1 });
    expect(boot.body.node_config_url).toBe(`${ctx.url}/api/v1/nodes/${boot.body.node_id}/config`);
    const n1 = node(boot.body);

    expect((await http('GET', boot.body.node_config_url, undefined, { authorization: `Bearer ${REGISTRATION}` })).status).toBe(401);
    const config = await n1.config();
    expect(config.body).toEqual({ version: 1, config: { lease_seconds: 1, heartbeat_seconds: 1 } });
    expect((await n1.ack({ version: 7, status: 'applied' })).status).toBe(400);
    expect((await n1.ack({ version: 1, status: 'applied' })).status).toBe(200);

    const changed = await http('PUT', `${ctx.url}/api/v1/nodes/${boot.body.node_id}/config`, { config: { image_quality: 80 } });
    expect(changed.body).toMatchObject({ configVersion: 2, configAck: { version: 1, status: 'applied' } });
    expect((await n1.heartbeat()).body).toMatchObject({ status: 'active', config_version: 2 });
    await n1.ack({ version: 2, status: 'failed', error: 'quality out of range' });
    const listed = await http('GET', `${ctx.url}/api/v1/nodes`);
    expect(listed.body.nodes.find((n: any) => n.id === boot.body.node_id)).toMatchObject({
      name: 'n1',
      labels: { zone: 'a' },
      maxJobs: 2,
      configVersion: 2,
      configAck: { version: 2, status: 'failed', error: 'quality out of range' },
    });
  });

  it('gives a draining node no new job, and stops accepting a removed node\'s token', async () => {
    const boot = (await register('short-lived')).body;
    const n = node(boot);
    const run = await startPlan(ctx.url, { steps: [{ id: 'thumb', agent: 'resize', input: { image: 'bee.png' } }] });
    expect((await http('POST', `${ctx.url}/api/v1/nodes/${boot.node_id}/drain`)).body).toMatchObject({ status: 'draining' });
    expect((await n.heartbeat()).body).toMatchObject({ status: 'draining' });
    expect((await n.claim(0)).status).toBe(204);
    expect((await http('DELETE', `${ctx.url}/api/v1/nodes/${boot.node_id}`)).status).toBe(204);
    expect((await n.heartbeat()).status).toBe(401);
    expect((await http('GET', `${ctx.url}/api/v1/nodes/${boot.node_id}`)).status).toBe(404);
    // Another node takes the job, so later tests start from an empty queue.
    const other = node((await register('after-removal')).body);
    const job = (await other.claim()).body.job;
    expect((await other.complete(job, { ok: true })).status).toBe(200);
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
  });

  it('runs a worker agent step on a node that claims it, and refuses a second completion', async () => {
    const n = node((await register('n2')).body);
    const run = await startPlan(ctx.url, { steps: [{ id: 'thumb', agent: 'resize', input: { image: 'cat.png', width: 64 } }] });
    const claimed = await n.claim();
    expect(claimed.status).toBe(200);
    const job = claimed.body.job;
    expect(job).toMatchObject({ agent: 'resize', input: { image: 'cat.png', width: 64 }, context: { runId: run.id, stepKey: 'thumb', attempt: 1 }, lease: 1 });

    expect((await n.complete(job, { thumbnail: 'cat-64.png' })).status).toBe(200);
    const again = await n.complete(job, { thumbnail: 'other.png' });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already completed/);
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'completed', output: { thumb: { thumbnail: 'cat-64.png' } } });
  });

  it('gives the job of a node that stopped heartbeating to another node, and fences the first', async () => {
    const a = node((await register('a')).body);
    const b = node((await register('b')).body);
    const run = await startPlan(ctx.url, { steps: [{ id: 'thumb', agent: 'resize', input: { image: 'dog.png' } }] });
    const first = (await a.claim()).body.job;
    expect(first.lease).toBe(1);
    // a goes silent; after its 1 s lease b's long-poll gets the same job under a new lease.
    const second = (await b.claim(10)).body.job;
    expect(second).toMatchObject({ id: first.id, lease: 2 });
    expect(second.lease_token).not.toBe(first.lease_token);

    const late = await a.complete(first, { by: 'a' });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/no longer held/);
    expect((await b.complete(second, { by: 'b' })).status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done.output).toEqual({ thumb: { by: 'b' } });
    expect(done.steps[0]).toMatchObject({ status: 'completed', attempt: 1 });
  });

  it('keeps a job leased while its node heartbeats', async () => {
    const a = node((await register('steady')).body);
    const b = node((await register('eager')).body);
    const run = await startPlan(ctx.url, { steps: [{ id: 'thumb', agent: 'resize', input: { image: 'owl.png' } }] });
    const job = (await a.claim()).body.job;
    const beat = setInterval(() => void a.heartbeat(), 300);
    try {
      expect((await b.claim(2)).status).toBe(204);
    } finally {
      clearInterval(beat);
    }
    expect((await a.complete(job, { by: 'steady' })).status).toBe(200);
    expect((await waitForRun(ctx.url, run.id)).output).toEqual({ thumb: { by: 'steady' } });
  });

  it('fails the job of a step that timed out waiting for a node, and fails the step', async () => {
    const run = await startPlan(ctx.url, { steps: [{ id: 'thumb', agent: 'resize', input: {}, timeout_seconds: 1, retry: { max_attempts: 1 } }] });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(done.steps[0].error).toMatchObject({ code: 'timeout' });
    // The parked step has no call to time out: the job's deadline does, and wakes the step.
    const again = await ctx.database.db.query<{ status: string; error: { code: string } }>(`select status, error from worker_jobs where context->>'runId' = $1::text`, [run.id]);
    expect(again.rows).toEqual([{ status: 'failed', error: expect.objectContaining({ code: 'timeout', retryable: true }) }]);
    const late = node((await register('late')).body);
    expect((await late.claim(0)).status).toBe(204);
  });

  it('keeps a node\'s job across a graceful Baton restart, and takes its completion afterwards', async () => {
    const boot = (await register('survivor')).body;
    const run = await startPlan(ctx.url, { steps: [{ id: 'thumb', agent: 'resize', input: { image: 'fox.png' } }] });
    const job = (await node(boot).claim()).body.job;
    // The step is handed back at shutdown; the restarted server re-claims the same attempt and finds the job.
    await ctx.restart();
    const after = node(boot);
    await after.heartbeat();
    expect((await after.complete(job, { by: 'survivor' })).status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'completed', output: { thumb: { by: 'survivor' } } });
    expect(done.steps[0].attempt).toBe(1);
  });

  it('fails the step with the node\'s error, and gives nodes only the agents they serve', async () => {
    const other = node((await register('other', ['not-resize'])).body);
    const n = node((await register('n3')).body);
    const run = await startPlan(ctx.url, { steps: [{ id: 'thumb', agent: 'resize', input: {}, retry: { max_attempts: 1 } }] });
    expect((await other.claim(0)).status).toBe(204);
    const job = (await n.claim()).body.job;
    expect((await n.fail(job, 'image is empty')).status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('failed');
    expect(JSON.stringify(done.steps[0].error)).toContain('image is empty');
  });
});
