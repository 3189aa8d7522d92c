import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import type { WorkerJob } from './node.types.js';

const columns = (t: string) => `${t}.id::text as id, ${t}.agent_name, ${t}.status, ${t}.input, ${t}.context,
  ${t}.node_id::text as node_id, ${t}.lease_token::text as lease_token, ${t}.lease_expires_at, ${t}.leases, ${t}.output, ${t}.error`;

/** The `worker_jobs` table: one statement per method; every transition guarded by status (and lease token). */
@Injectable()
export class JobRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Queues the job for a step attempt, or finds the one already queued for it (a re-claimed step). */
  async enqueue(key: string, agentName: string, input: unknown, context: Record<string, unknown>): Promise<WorkerJob> {
    const { rows } = await this.db.query(
      `with inserted as (
         insert into worker_jobs (idempotency_key, agent_name, input, context)
         values ($1::text, $2::text, $3::jsonb, $4::jsonb)
         on conflict on constraint worker_jobs_idempotency_key_key do nothing
         returning ${columns('worker_jobs')})
       select * from inserted
       union all
       select ${columns('w')} from worker_jobs w where w.idempotency_key = $1::text and not exists (select 1 from inserted)`,
      [key, agentName, JSON.stringify(input ?? null), JSON.stringify(context)],
    );
    return toJob(rows[0]!);
  }

  async find(id: string): Promise<WorkerJob | null> {
    const { rows } = await this.db.query(`select ${columns('w')} from worker_jobs w where w.id = $1::uuid`, [id]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  /**
   * Leases the oldest job of one of `agents` to the node: a queued job, or a leased one whose
   * lease ran out (its node stopped heartbeating). `skip locked` lets nodes claim in
   * parallel without waiting on each other; a fresh lease token fences the previous holder.
   * Nothing is leased while the node already holds `maxJobs` live leases.
   */
  async claim(nodeId: string, agents: string[], maxJobs: number, leaseSeconds: number): Promise<WorkerJob | null> {
    const { rows } = await this.db.query(
      `with candidate as (
         select id from worker_jobs
         where agent_name = any($2::text[])
           and (status = 'queued' or (status = 'leased' and lease_expires_at < now()))
           and (select count(*) from worker_jobs held
                where held.node_id = $1::uuid and held.status = 'leased' and held.lease_expires_at >= now()) < $3::int
         order by created_at, id
         limit 1
         for update skip locked)
       update worker_jobs j
       set status = 'leased', node_id = $1::uuid, lease_token = gen_random_uuid(),
           lease_expires_at = now() + make_interval(secs => $4::int), leases = j.leases + 1
       from candidate where j.id = candidate.id
       returning ${columns('j')}`,
      [nodeId, agents, maxJobs, leaseSeconds],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** Extends every live lease the node holds; returns how many. */
  async renew(nodeId: string, leaseSeconds: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `update worker_jobs set lease_expires_at = now() + make_interval(secs => $2::int)
       where node_id = $1::uuid and status = 'leased'`,
      [nodeId, leaseSeconds],
    );
    return rowCount;
  }

  /**
   * Completes or fails the job held under `leaseToken`. Guarded by status and token, so a
   * node whose lease was taken over, or a second completion, changes nothing (false).
   */
  async finish(id: string, leaseToken: string, status: 'completed' | 'failed', output: unknown, error: unknown): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `update worker_jobs set status = $3::text, output = $4::jsonb, error = $5::jsonb, finished_at = now(), lease_expires_at = null
       where id = $1::uuid and lease_token = $2::uuid and status = 'leased'`,
      [id, leaseToken, status, JSON.stringify(output ?? null), error === null ? null : JSON.stringify(error)],
    );
    return rowCount > 0;
  }

  /** The step no longer waits (cancelled run, timeout): no node should take or finish it. */
  async cancel(id: string): Promise<void> {
    await this.db.query(`update worker_jobs set status = 'cancelled', finished_at = now() where id = $1::uuid and status in ('queued', 'leased')`, [id]);
  }
}

function toJob(row: Record<string, any>): WorkerJob {
  return {
    id: row.id,
    agentName: row.agent_name,
    status: row.status,
    input: row.input,
    context: row.context,
    nodeId: row.node_id,
    leaseToken: row.lease_token,
    leaseExpiresAt: row.lease_expires_at ? new Date(row.lease_expires_at) : null,
    leases: row.leases,
    output: row.output,
    error: row.error,
  };
}
