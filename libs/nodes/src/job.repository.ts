import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { NodeSelector } from '@baton/agents';
import { JOB_MOVES, LEASED_JOB_STATUSES, OPEN_JOB_STATUSES } from './job-status.js';
import type { WorkerJob } from './node.types.js';

/** Cross-instance wake-up for long-polling claims: a job was queued (or handed back). */
export const JOBS_CHANNEL = 'baton_worker_jobs';

const columns = (t: string) => `${t}.id::text as id, ${t}.step_id::text as step_id, ${t}.agent_name, ${t}.status, ${t}.input, ${t}.context,
  ${t}.node_id::text as node_id, ${t}.lease_token::text as lease_token, ${t}.lease_expires_at, ${t}.leases, ${t}.output, ${t}.error,
  ${t}.node_labels, ${t}.node_resources`;

/** A step attempt's job as the engine queues it. */
export interface NewJob {
  key: string;
  stepId: string;
  agentName: string;
  input: unknown;
  context: Record<string, unknown>;
  timeoutMs: number;
  selector: NodeSelector;
}

/**
 * The `worker_jobs` table: one statement per method; every transition is a `JOB_MOVES` move,
 * guarded by its table-derived statuses (and the lease token). A queued job has no lease
 * (`lease_expires_at` is null), so "no live lease" is `lease_expires_at is null or < now()`.
 */
@Injectable()
export class JobRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Queues the job for a step attempt, or finds the one already queued for it (a woken or
   * re-claimed step). `created` tells the two apart. Its deadline is fixed at the first queueing.
   */
  async enqueue(job: NewJob): Promise<{ job: WorkerJob; created: boolean }> {
    const { rows } = await this.db.query(
      `with inserted as (
         insert into worker_jobs (idempotency_key, step_id, agent_name, input, context, expires_at, node_labels, node_resources)
         values ($1::text, $2::uuid, $3::text, $4::jsonb, $5::jsonb, now() + make_interval(secs => $6::double precision), $7::jsonb, $8::jsonb)
         on conflict on constraint worker_jobs_idempotency_key_key do nothing
         returning ${columns('worker_jobs')})
       select *, true as created from inserted
       union all
       select ${columns('w')}, false as created from worker_jobs w where w.idempotency_key = $1::text and not exists (select 1 from inserted)`,
      [job.key, job.stepId, job.agentName, JSON.stringify(job.input ?? null), JSON.stringify(job.context), job.timeoutMs / 1000,
        JSON.stringify(job.selector.labels), JSON.stringify(job.selector.resources)],
    );
    return { job: toJob(rows[0]!), created: rows[0]!.created === true };
  }

  async find(id: string): Promise<WorkerJob | null> {
    const { rows } = await this.db.query(`select ${columns('w')} from worker_jobs w where w.id = $1::uuid`, [id]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  /**
   * Holds the still-open jobs among `ids` (`for share`: a node's completion, an update,
   * waits until the caller's transaction ends) and counts them.
   */
  async holdOpen(ids: string[], tx: Queryable): Promise<number> {
    const { rows } = await tx.query(
      `select id from worker_jobs where id = any($1::uuid[]) and status = any($2::text[]) for share`,
      [ids, OPEN_JOB_STATUSES],
    );
    return rows.length;
  }

  /**
   * Leases to the node the oldest job it may take: of an agent it serves, whose labels it
   * has, whose resources it has free (its reported amounts minus what its live leases
   * reserve), while it holds fewer than `maxJobs` live leases. A queued job, or a leased one
   * whose lease ran out. `skip locked` lets nodes claim in parallel without waiting on each
   * other; a fresh lease token fences the previous holder.
   */
  async claim(node: { id: string; agents: string[]; labels: Record<string, string>; resources: Record<string, unknown>; maxJobs: number }, leaseSeconds: number): Promise<WorkerJob | null> {
    const { rows } = await this.db.query(
      `with held as (
         select want.key, sum(want.value::numeric) as used
         from worker_jobs h, jsonb_each_text(h.node_resources) want
         where h.node_id = $1::uuid and h.status = any($8::text[]) and h.lease_expires_at >= now()
         group by want.key),
       candidate as (
         select j.id from worker_jobs j
         where j.agent_name = any($2::text[])
           and j.status = any($7::text[]) and (j.lease_expires_at is null or j.lease_expires_at < now())
           and $5::jsonb @> j.node_labels
           and not exists (
             select 1 from jsonb_each_text(j.node_resources) want
             where coalesce(case when jsonb_typeof($6::jsonb -> want.key) = 'number' then ($6::jsonb ->> want.key)::numeric end, 0)
                   - coalesce((select used from held where held.key = want.key), 0) < want.value::numeric)
           and (select count(*) from worker_jobs c
                where c.node_id = $1::uuid and c.status = any($8::text[]) and c.lease_expires_at >= now()) < $3::int
         order by j.created_at, j.id
         limit 1
         for update of j skip locked)
       update worker_jobs j
       set status = 'leased', node_id = $1::uuid, lease_token = gen_random_uuid(),
           lease_expires_at = now() + make_interval(secs => $4::int), leases = j.leases + 1
       from candidate where j.id = candidate.id
       returning ${columns('j')}`,
      [node.id, node.agents, node.maxJobs, leaseSeconds, JSON.stringify(node.labels), JSON.stringify(node.resources), JOB_MOVES.claim.from, LEASED_JOB_STATUSES],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** Extends every live lease the node holds; returns how many. */
  async renew(nodeId: string, leaseSeconds: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `update worker_jobs set lease_expires_at = now() + make_interval(secs => $2::int)
       where node_id = $1::uuid and status = any($3::text[])`,
      [nodeId, leaseSeconds, LEASED_JOB_STATUSES],
    );
    return rowCount;
  }

  /**
   * Completes or fails the job held under `leaseToken`; returns the step it belongs to. Guarded
   * by status and token, so a node whose lease was taken over, or a second completion,
   * changes nothing (null).
   */
  async finish(id: string, leaseToken: string, status: 'completed' | 'failed', output: unknown, error: unknown, tx: Queryable): Promise<{ stepId: string | null } | null> {
    const { rows } = await tx.query<{ step_id: string | null }>(
      `update worker_jobs set status = $3::text, output = $4::jsonb, error = $5::jsonb, finished_at = now(), lease_expires_at = null
       where id = $1::uuid and lease_token = $2::uuid and status = any($6::text[])
       returning step_id::text as step_id`,
      [id, leaseToken, status, JSON.stringify(output ?? null), error === null ? null : JSON.stringify(error), JOB_MOVES.finish.from],
    );
    return rows[0] ? { stepId: rows[0].step_id } : null;
  }

  /**
   * Open jobs past their step's timeout → failed (retryable, `timeout`), a batch at a time;
   * returns their steps, to be woken in the same transaction.
   */
  async expire(limit: number, tx: Queryable): Promise<Array<{ id: string; stepId: string | null }>> {
    const { rows } = await tx.query<{ id: string; step_id: string | null }>(
      `update worker_jobs set status = 'failed', finished_at = now(), lease_expires_at = null,
              error = jsonb_build_object('message', 'no node finished the job within the step''s timeout', 'retryable', true, 'code', 'timeout')
       where id in (select id from worker_jobs where status = any($2::text[]) and expires_at < now()
                    order by expires_at limit $1::int for update skip locked)
       returning id::text as id, step_id::text as step_id`,
      [limit, JOB_MOVES.expire.from],
    );
    return rows.map((row) => ({ id: row.id, stepId: row.step_id }));
  }

  /** Wakes long-polling claims on every instance. */
  async notifyQueued(): Promise<void> {
    await this.db.query(`select pg_notify($1::text, '')`, [JOBS_CHANNEL]);
  }

  /** The job's step ended or moved on (cancelled run, another attempt): no node should take or finish it. */
  async cancel(id: string): Promise<void> {
    await this.db.query(
      `update worker_jobs set status = 'cancelled', finished_at = now(), lease_expires_at = null where id = $1::uuid and status = any($2::text[])`,
      [id, JOB_MOVES.cancel.from],
    );
  }
}

function toJob(row: Record<string, any>): WorkerJob {
  return {
    id: row.id,
    stepId: row.step_id,
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
    selector: { labels: row.node_labels ?? {}, resources: row.node_resources ?? {} },
  };
}
