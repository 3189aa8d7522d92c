import { PgDatabase } from '@baton/db';
import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { http, startTestApp, useTestServer, type TestApp } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';

const REGISTRATION = 'node-selection-registration-0123456789';

/** A node played by the test over HTTP. */
async function registerNode(url: string, name: string, extra: Record<string, unknown> = {}) {
  const boot = await http('POST', `${url}/api/v1/nodes/register`, { name, capabilities: ['render'], max_concurrent_jobs: 4, ...extra }, { authorization: `Bearer ${REGISTRATION}` });
  if (boot.status !== 201) throw new Error(`register ${name}: ${boot.status} ${JSON.stringify(boot.body)}`);
  const auth = { authorization: `Bearer ${boot.body.node_token}` };
  const base = `${url}/api/v1/nodes/${boot.body.node_id}`;
  return {
    id: boot.body.node_id as string,
    claim: (wait = 0) => http('POST', `${base}/claim`, { wait_seconds: wait }, auth),
    complete: (job: any, output: unknown, at = url) =>
      http('POST', `${at}/api/v1/nodes/${boot.body.node_id}/jobs/${job.id}/complete`, { lease_token: job.lease_token, output }, auth),
    heartbeat: () => http('POST', `${base}/heartbeat`, {}, auth),
  };
}

/**
 * Issue 15, the rest of the worker-node story: a worker step parks (no slot) while a node
 * works, steps pick nodes by labels and free resources, silent nodes show offline and lose
 * their jobs to the queue.
 */
describe.each(testDatabaseKinds())('worker node selection and parking on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_NODE_REGISTRATION_TOKEN: REGISTRATION, BATON_NODE_LEASE_SECONDS: '1', BATON_POLL_INTERVAL_MS: '200' });

  beforeAll(async () => {
    expect((await http('POST', `${ctx.url}/api/v1/agents`, { name: 'render', kind: 'worker' })).status).toBe(201);
  });

  it('parks a worker step as waiting, so its slot runs other steps while the node works', async () => {
    const run = await startPlan(ctx.url, {
      orchestration: { execution: { concurrency: { maxParallel: 1 } } },
      steps: [
        { id: 'frame', agent: 'render', input: { frame: 1 } },
        { id: 'note', agent: 'builtin:echo', input: { text: 'meanwhile' } },
      ],
    });
    // With one slot, `note` can only run if `frame` gave its slot back.
    const parked = await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'frame')?.status === 'waiting' && stepOf(r, 'note')?.status === 'completed');
    expect(parked.status).toBe('running');
    const node = await registerNode(ctx.url, 'renderer');
    const job = (await node.claim(5)).body.job;
    expect(job.input).toEqual({ frame: 1 });
    expect((await node.complete(job, { png: 'frame-1.png' })).status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done).toMatchObject({ status: 'completed', output: { frame: { png: 'frame-1.png' } } });
    expect(stepOf(done, 'frame')).toMatchObject({ status: 'completed', attempt: 1 });
  });

  it('gives a step only to a node with its labels and enough free resources', async () => {
    const plain = await registerNode(ctx.url, 'plain', { labels: { zone: 'a' }, resources: { memory_gb: 64 } });
    const small = await registerNode(ctx.url, 'small-gpu', { labels: { gpu: 'a100' }, resources: { memory_gb: 8 } });
    const big = await registerNode(ctx.url, 'big-gpu', { labels: { gpu: 'a100', zone: 'b' }, resources: { memory_gb: 32 } });
    const run = await startPlan(ctx.url, {
      steps: [
        { id: 'train', agent: 'render', input: { n: 1 }, node: { labels: { gpu: 'a100' }, resources: { memory_gb: 16 } } },
        { id: 'tune', agent: 'render', input: { n: 2 }, node: { labels: { gpu: 'a100' }, resources: { memory_gb: 20 } } },
      ],
    });
    await waitForRun(ctx.url, run.id, (r) => r.steps.every((s: any) => s.status === 'waiting'));
    expect((await plain.claim()).status).toBe(204); // no gpu label
    expect((await small.claim()).status).toBe(204); // 8 GB < 16 GB
    const first = (await big.claim()).body.job;
    expect(first.input).toEqual({ n: 1 });
    // 32 GB minus the 16 GB the first job holds leaves 16 GB: not enough for 20.
    expect((await big.claim()).status).toBe(204);
    expect((await big.complete(first, { ok: 1 })).status).toBe(200);
    const second = (await big.claim()).body.job;
    expect(second.input).toEqual({ n: 2 });
    expect((await big.complete(second, { ok: 2 })).status).toBe(200);
    expect((await waitForRun(ctx.url, run.id)).output).toEqual({ train: { ok: 1 }, tune: { ok: 2 } });
  });

  it('refuses a step whose node selector is malformed, naming the field', async () => {
    const response = await http('POST', `${ctx.url}/api/v1/runs`, {
      plan: { steps: [{ id: 'x', agent: 'render', node: { labels: { gpu: 1 }, resources: { memory_gb: -1 }, zone: 'a' } }] },
    });
    expect(response.status).toBe(400);
    const paths = response.body.details.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['steps[0].node.labels.gpu', 'steps[0].node.resources.memory_gb', 'steps[0].node.zone']));
  });

  it('shows a silent node offline, its job free for any node', async () => {
    const quiet = await registerNode(ctx.url, 'quiet');
    const run = await startPlan(ctx.url, { steps: [{ id: 'frame', agent: 'render', input: { frame: 9 } }] });
    const job = await waitFor(async () => (await quiet.claim(1)).body?.job, { what: 'quiet claimed the job' });
    // No heartbeat: the 1 s lease runs out (any node may claim the job), and after 6 s the node is offline.
    const offline = await waitFor(async () => {
      const listed = (await http('GET', `${ctx.url}/api/v1/nodes`)).body.nodes.find((n: any) => n.id === quiet.id);
      return listed?.status === 'offline' ? listed : undefined;
    }, { what: 'the node shown offline', timeoutMs: 20_000 });
    expect(offline.inFlight).toBe(0);
    const lease = await ctx.database.db.query<{ expired: boolean }>(`select lease_expires_at < now() as expired from worker_jobs where id = $1::uuid`, [job.id]);
    expect(lease.rows[0]!.expired).toBe(true);
    // It comes back: a heartbeat makes it active again, and it takes the job anew, under a new lease.
    await quiet.heartbeat();
    expect((await http('GET', `${ctx.url}/api/v1/nodes/${quiet.id}`)).body.status).toBe('active');
    const again = (await quiet.claim(2)).body.job;
    expect(again).toMatchObject({ id: job.id, lease: 2 });
    expect((await quiet.complete(again, { frame: 9 })).status).toBe(200);
    expect((await waitForRun(ctx.url, run.id)).status).toBe('completed');
  });
});

const describeOnPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

describeOnPostgres('a node result reaching another instance (Postgres)', () => {
  let database: TestDatabase;
  let secondConnection: PgDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    secondConnection = new PgDatabase(database.url!, 5);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await secondConnection?.close();
    await database?.drop();
  });

  it('wakes a step parked by instance A when the node reports to instance B, and wakes B\'s long-poll for A\'s job', async () => {
    // A slow safety-net poll: only NOTIFY can make this quick.
    const env = { BATON_NODE_REGISTRATION_TOKEN: REGISTRATION, BATON_POLL_INTERVAL_MS: '30000' };
    const a = await startTestApp(database.db, { ...env, BATON_INSTANCE_ID: 'a' });
    apps.push(a);
    const b = await startTestApp(secondConnection, { ...env, BATON_INSTANCE_ID: 'b' });
    apps.push(b);
    expect((await http('POST', `${a.url}/api/v1/agents`, { name: 'render', kind: 'worker' })).status).toBe(201);
    const node = await registerNode(b.url, 'remote');
    const claim = node.claim(20);
    const run = await startPlan(a.url, { steps: [{ id: 'frame', agent: 'render', input: { frame: 3 } }] });
    const job = (await claim).body.job;
    expect(job.input).toEqual({ frame: 3 });
    expect((await node.complete(job, { done: true }, b.url)).status).toBe(200);
    const done = await waitForRun(a.url, run.id, undefined, 10_000);
    expect(done).toMatchObject({ status: 'completed', output: { frame: { done: true } } });
  });
});
