import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { ClaimedStep } from '../domain/run.types.js';
import { CLAIMABLE_RUN_STATUSES } from '../domain/run-status.js';
import { STEP_MOVES } from '../domain/step-status.js';

export interface ClaimCandidate {
  id: string;
  runId: string;
  agent: string | null;
}

interface ClaimedRow {
  id: string;
  run_id: string;
  step_key: string;
  type: string;
  agent: string | null;
  attempt: number;
  max_attempts: number;
  lease_token: number;
  wake_reason: string | null;
  iteration: number | null;
  child_run_id: string | null;
  definition_id: string;
  owner: string;
  input: unknown;
  run_status: string;
}

// Claims from every instance are serialized on this key (for the length of one short
// transaction), which is what lets slot counts be read and then filled without overshoot.
const CLAIM_LOCK_KEY = 7_362_010;

/** The claim, lease renewal and lease recovery statements. */
@Injectable()
export class StepLeaseRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async lockClaims(tx: Queryable): Promise<void> {
    await tx.query('select pg_advisory_xact_lock($1::bigint)', [CLAIM_LOCK_KEY]);
  }

  /** Running steps now: in all, and per agent for the agents named. */
  async runningCounts(agents: string[], tx: Queryable): Promise<{ total: number; byAgent: Map<string, number> }> {
    const { rows } = await tx.query<{ agent: string | null; n: number }>(
      `select agent, count(*)::int as n from orchestration_steps where status = 'running' group by agent`,
    );
    const byAgent = new Map<string, number>();
    let total = 0;
    for (const row of rows) {
      total += row.n;
      if (row.agent && agents.includes(row.agent)) byAgent.set(row.agent, row.n);
    }
    return { total, byAgent };
  }

  /**
   * Queued steps that are due, at most the run's free slots per run (max_parallel minus its
   * running steps), oldest first. Not locked: the caller holds the claim lock.
   */
  async candidates(limit: number, tx: Queryable): Promise<ClaimCandidate[]> {
    const { rows } = await tx.query<{ id: string; run_id: string; agent: string | null }>(
      `with busy as (
         select run_id, count(*)::int as n from orchestration_steps where status = 'running' group by run_id
       ), ranked as (
         select s.id, s.run_id, s.agent, s.available_at, s.position,
                row_number() over (partition by s.run_id order by s.available_at, s.position) as rn,
                r.max_parallel - coalesce(b.n, 0) as free
           from orchestration_steps s
           join orchestration_runs r on r.id = s.run_id
           left join busy b on b.run_id = s.run_id
          where s.status = 'queued' and s.available_at <= now() and r.status = any($2::text[])
       )
       select id, run_id, agent from ranked where rn <= free
        order by available_at, run_id, position
        limit $1::int`,
      [limit, CLAIMABLE_RUN_STATUSES],
    );
    return rows.map((row) => ({ id: row.id, runId: row.run_id, agent: row.agent }));
  }

  /**
   * queued → running with a fresh lease. Every claim bumps the fencing token; a woken
   * waiting step keeps its attempt number, anything else starts a new attempt.
   */
  async claim(ids: string[], owner: string, leaseSeconds: number, tx: Queryable): Promise<ClaimedStep[]> {
    // The woken flag is read before the update clears it, so a later retry of the same
    // step counts as a new attempt again.
    const { rows } = await tx.query<ClaimedRow>(
      `with picked as (
         select id, wake_reason from orchestration_steps
          where id = any($1::uuid[]) and status = any($4::text[]) for update
       )
       update orchestration_steps s
          set status = 'running', lease_owner = $2::text,
              lease_expires_at = now() + ($3::int * interval '1 second'),
              lease_token = s.lease_token + 1,
              attempt = s.attempt + case when p.wake_reason is null then 1 else 0 end,
              wake_reason = null, started_at = coalesce(s.started_at, now()), updated_at = now()
         from picked p, orchestration_runs r
        where s.id = p.id and r.id = s.run_id
        returning s.id, s.run_id, s.step_key, s.type, s.agent, s.attempt, s.max_attempts, s.lease_token,
                  p.wake_reason, s.iteration, s.child_run_id, r.definition_id, r.owner, r.input, r.status as run_status`,
      [ids, owner, leaseSeconds, STEP_MOVES.claim.from],
    );
    return rows.map((row) => ({
      id: row.id,
      runId: row.run_id,
      key: row.step_key,
      type: row.type,
      agent: row.agent,
      attempt: row.attempt,
      maxAttempts: row.max_attempts,
      token: row.lease_token,
      wakeReason: row.wake_reason,
      iteration: row.iteration ?? null,
      childRunId: row.child_run_id,
      definitionId: row.definition_id,
      owner: row.owner,
      runInput: row.input,
      runStatus: row.run_status,
      claimedAt: Date.now(),
    }));
  }

  /** Extends the leases this instance still holds; returns the ids it still holds. */
  async renew(ids: string[], owner: string, leaseSeconds: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await this.db.query<{ id: string }>(
      `update orchestration_steps set lease_expires_at = now() + ($3::int * interval '1 second')
        where id = any($1::uuid[]) and lease_owner = $2::text and status = any($4::text[])
        returning id`,
      [ids, owner, leaseSeconds, STEP_MOVES.claim.to],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Running steps whose lease ran out (their process died or stalled) go back to the queue
   * marked `recovered`, so the next claim continues the same attempt instead of spending a
   * new one; past `maxRecoveries` they are returned for failing instead.
   */
  async recoverExpired(
    maxRecoveries: number,
    tx: Queryable,
  ): Promise<{ requeued: Array<{ runId: string; key: string }>; exhausted: Array<{ id: string; token: number }> }> {
    const { rows } = await tx.query<{ id: string; run_id: string; step_key: string; lease_token: number; requeued: boolean }>(
      `with expired as (
         select id, lease_recoveries < $1::int as requeue from orchestration_steps
          where status = any($2::text[]) and lease_expires_at < now()
          for update skip locked
       )
       update orchestration_steps s
          set status = case when e.requeue then 'queued' else s.status end,
              wake_reason = case when e.requeue then 'recovered' else s.wake_reason end,
              lease_recoveries = s.lease_recoveries + 1,
              lease_owner = case when e.requeue then null else s.lease_owner end,
              available_at = now(), queued_at = case when e.requeue then now() else s.queued_at end,
              updated_at = now()
         from expired e where s.id = e.id
       returning s.id, s.run_id, s.step_key, s.lease_token, e.requeue as requeued`,
      [maxRecoveries, STEP_MOVES.recover.from],
    );
    return {
      requeued: rows.filter((r) => r.requeued).map((r) => ({ runId: r.run_id, key: r.step_key })),
      exhausted: rows.filter((r) => !r.requeued).map((r) => ({ id: r.id, token: r.lease_token })),
    };
  }

  /** Hands a step back (this process is shutting down): queued again, same attempt. */
  async release(id: string, token: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `update orchestration_steps
          set status = 'queued', wake_reason = 'recovered', lease_owner = null, lease_expires_at = null,
              available_at = now(), queued_at = now(), updated_at = now()
        where id = $1::uuid and lease_token = $2::bigint and status = any($3::text[])`,
      [id, token, STEP_MOVES.recover.from],
    );
    return rowCount > 0;
  }

  /**
   * When the next queued step that is not yet due becomes due (retry backoff), for a timer
   * instead of polling. Steps already due but blocked by a slot, or in a paused run, are
   * left out: the end of a step, a resume or the poll wakes the claimers for those.
   */
  async nextDueAt(): Promise<Date | null> {
    const { rows } = await this.db.query<{ at: Date | null }>(
      `select min(s.available_at) as at
         from orchestration_steps s join orchestration_runs r on r.id = s.run_id
        where s.status = 'queued' and s.available_at > now() and r.status = any($1::text[])`,
      [CLAIMABLE_RUN_STATUSES],
    );
    return rows[0]?.at ?? null;
  }
}
