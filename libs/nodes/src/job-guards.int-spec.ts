import { randomUUID } from 'node:crypto';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { JOB_MACHINE, JOB_MOVES } from './job-status.js';
import { JobRepository } from './job.repository.js';
import { NODE_MACHINE, NODE_MOVES, type StoredNodeStatus } from './node-status.js';
import { NodeRepository } from './node.repository.js';
import type { JobStatus } from './node.types.js';

/**
 * The worker job and node statements against a row in every status: each must change it
 * exactly when its move's guard (derived from the table) lists that status.
 */
describe.each(testDatabaseKinds())('worker job and node guards in SQL on %s', (kind) => {
  let database: TestDatabase;
  let jobs: JobRepository;
  let nodes: NodeRepository;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    jobs = new JobRepository(database.db);
    nodes = new NodeRepository(database.db);
  });

  afterAll(() => database?.drop());

  /** A node in `status`, serving `agent` only. */
  async function nodeIn(status: StoredNodeStatus, agent = randomUUID()): Promise<string> {
    const { rows } = await database.db.query<{ id: string }>(
      `insert into worker_nodes (name, token_hash, capabilities, max_jobs, status) values ($1::text, $2::text, $3::text[], 5, $4::text) returning id`,
      [`node-${randomUUID()}`, randomUUID(), [agent], status],
    );
    return rows[0]!.id;
  }

  /** A job of its own agent in `status`; a leased one's lease ran out (a queued one has none). */
  async function jobIn(status: JobStatus, expired = false): Promise<{ id: string; agent: string; token: string; nodeId: string }> {
    const agent = randomUUID();
    const nodeId = await nodeIn('active', agent);
    const { rows } = await database.db.query<{ id: string; lease_token: string }>(
      `insert into worker_jobs (idempotency_key, agent_name, status, node_id, lease_token, lease_expires_at, expires_at)
       values ($1::text, $2::text, $3::text, $4::uuid, gen_random_uuid(),
               case when $3::text = 'queued' then null else now() - interval '1 second' end,
               now() + case when $5::boolean then interval '-1 second' else interval '1 hour' end)
       returning id::text as id, lease_token::text as lease_token`,
      [randomUUID(), agent, status, status === 'queued' ? null : nodeId, expired],
    );
    return { id: rows[0]!.id, agent, token: rows[0]!.lease_token, nodeId };
  }

  const statusOf = async (id: string) =>
    (await database.db.query<{ status: JobStatus }>(`select status from worker_jobs where id = $1::uuid`, [id])).rows[0]!.status;

  type Job = Awaited<ReturnType<typeof jobIn>>;
  const cases: Array<[string, JobStatus, boolean, (job: Job) => Promise<unknown>, readonly JobStatus[]]> = [
    ['claim', 'leased', false, (job) => jobs.claim({ id: job.nodeId, agents: [job.agent], labels: {}, resources: {}, maxJobs: 5 }, 30), JOB_MOVES.claim.from],
    ['finish completed', 'completed', false, (job) => database.db.transaction((tx) => jobs.finish(job.id, job.token, 'completed', {}, null, tx)), JOB_MOVES.finish.from],
    ['finish failed', 'failed', false, (job) => database.db.transaction((tx) => jobs.finish(job.id, job.token, 'failed', null, { message: 'x' }, tx)), JOB_MOVES.finish.from],
    ['expire', 'failed', true, () => database.db.transaction((tx) => jobs.expire(100, tx)), JOB_MOVES.expire.from],
    ['cancel', 'cancelled', false, (job) => jobs.cancel(job.id), JOB_MOVES.cancel.from],
  ];

  it.each(cases)('%s moves exactly the jobs its guard lists, and the table allows', async (_name, to, expired, call, guard) => {
    for (const from of JOB_MACHINE.states) {
      const job = await jobIn(from, expired);
      await call(job);
      const allowed = guard.includes(from);
      if (allowed) expect(JOB_MACHINE.can(from, to)).toBe(true);
      expect([from, await statusOf(job.id)]).toEqual([from, allowed ? to : from]);
    }
  });

  it('does not take a job whose lease is still live', async () => {
    const job = await jobIn('leased');
    await database.db.query(`update worker_jobs set lease_expires_at = now() + interval '1 minute' where id = $1::uuid`, [job.id]);
    expect(await jobs.claim({ id: job.nodeId, agents: [job.agent], labels: {}, resources: {}, maxJobs: 5 }, 30)).toBeNull();
  });

  it.each(Object.entries(NODE_MOVES))('node %s moves exactly the nodes its guard lists', async (_name, move) => {
    for (const from of NODE_MACHINE.states) {
      const id = await nodeIn(from);
      const moved = await nodes.move(id, move);
      expect([from, moved]).toEqual([from, (move.from as readonly string[]).includes(from)]);
      if (moved) expect(NODE_MACHINE.can(from, move.to)).toBe(true);
    }
  });
});
