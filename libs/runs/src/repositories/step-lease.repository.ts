import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { ClaimCandidate } from '../domain/agent-choice.js';
import type { ClaimedStep } from '../domain/run.types.js';
import { CLAIMABLE_RUN_STATUSES, RUN_MOVES } from '../domain/run-status.js';
import { STEP_MOVES } from '../domain/step-status.js';

interface ClaimedRow {
  id: string;
  run_id: string;
  step_key: string;
  type: string;
  agent: string | null;
  capability: string | null;
  served_by: string | null;
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

/** Wake reasons of steps that continue work already under way (a worker node's result). */
const CONTINUATION_WAKES = ['worker_job'];

/** The claim, lease renewal and lease recovery statements. */
@Injectable()
export class StepLeaseRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async lockClaims(tx: Queryable): Promise<void> {
    await tx.query('select pg_advisory_xact_lock($1::bigint)', [CLAIM_LOCK_KEY]);
  }

  /**
   * Running steps now: in all, and per agent that serves them. `served_by` is set by every
   * claim (the named agent, or the one chosen for a capability); `agent` covers steps claimed
   * before the column existed.
   */
  async runningCounts(tx: Queryable): Promise<{ total: number; byAgent: Map<string, number> }> {
    const { rows } = await tx.query<{ agent: string | null; n: number }>(
      `select coalesce(served_by, agent) as agent, count(*)::int as n
         from orchestration_steps where status = 'running' group by 1`,
    );
    const byAgent = new Map<string, number>();
    let total = 0;
    for (const row of rows) {
      total += row.n;
      if (row.agent) byAgent.set(row.agent, row.n);
    }
    return { total, byAgent };
  }

  /** When each agent was last given a step (ms since epoch), one index probe per agent. */
  async lastUsed(agents: string[], tx: Queryable): Promise<Map<string, number>> {
    if (agents.length === 0) return new Map();
    const { rows } = await tx.query<{ name: string; at: Date | null }>(
      `select a.name, (select s.claimed_at from orchestration_steps s
                        where s.served_by = a.name order by s.claimed_at desc limit 1) as at
         from unnest($1::text[]) as a(name)`,
      [agents],
    );
    return new Map(rows.filter((r) => r.at).map((r) => [r.name, new Date(r.at!).getTime()]));
  }

  /**
   * queued → waiting: no agent can take these steps now (open breakers). No attempt is
   * spent and no slot held; `agent_wait_since` keeps the first time, for the allocation timeout.
   */
  async parkForAgent(ids: string[], tx: Queryable): Promise<Array<{ runId: string; key: string }>> {
    if (ids.length === 0) return [];
    const { rows } = await tx.query<{ run_id: string; step_key: string }>(
      `update orchestration_steps
          set status = 'waiting', wait_reason = 'breaker_open', agent_wait_since = coalesce(agent_wait_since, now()),
              updated_at = now()
        where id = any($1::uuid[]) and status = any($2::text[])
        returning run_id, step_key`,
      [ids, STEP_MOVES.parkForAgent.from],
    );
    return rows.map((row) => ({ runId: row.run_id, key: row.step_key }));
  }

  /**
   * Admission (MAX_CONCURRENT_WORKFLOWS): admits the oldest waiting top-level runs while fewer
   * than `limit` admitted top-level runs are still open. Runs under the caller's claim lock,
   * so two instances never admit past the limit. Returns the runs admitted.
   */
  async admit(limit: number, tx: Queryable): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(
      `with active as (
         select count(*)::int as n from orchestration_runs
          where parent_run_id is null and admitted_at is not null and status = any($2::text[])
       ), next as (
         select id from orchestration_runs
          where admitted_at is null and parent_run_id is null and status = 'pending'
          order by created_at, id
          limit greatest(0, $1::int - (select n from active))
       )
       update orchestration_runs r set admitted_at = now(), updated_at = now()
         from next where r.id = next.id
       returning r.id`,
      [limit, RUN_MOVES.cancel.from],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Queued steps that are due, at most the run's free slots per run (max_parallel minus its
   * running steps), oldest first. Not locked: the caller holds the claim lock.
   */
  async candidates(limit: number, tx: Queryable, continuationsOnly = false): Promise<ClaimCandidate[]> {
    const { rows } = await tx.query<{
      id: string; run_id: string; agent: string | null; capability: string | null; served_by: string | null; wake_reason: string | null;
    }>(
      `with busy as (
         select run_id, count(*)::int as n from orchestration_steps where status = 'running' group by run_id
       ), ranked as (
         select s.id, s.run_id, s.agent, s.capability, s.served_by, s.wake_reason, s.available_at, s.position,
                row_number() over (partition by s.run_id order by s.available_at, s.position) as rn,
                r.max_parallel - coalesce(b.n, 0) as free
           from orchestration_steps s
           join orchestration_runs r on r.id = s.run_id
           left join busy b on b.run_id = s.run_id
          where s.status = 'queued' and s.available_at <= now() and r.status = any($2::text[])
            and r.admitted_at is not null
            and (not $3::boolean or s.wake_reason = any($4::text[]))
       )
       select id, run_id, agent, capability, served_by, wake_reason from ranked where rn <= free
        order by available_at, run_id, position
        limit $1::int`,
      [limit, CLAIMABLE_RUN_STATUSES, continuationsOnly, CONTINUATION_WAKES],
    );
    return rows.map((row) => ({
      id: row.id, runId: row.run_id, agent: row.agent, capability: row.capability, servedBy: row.served_by, wakeReason: row.wake_reason,
    }));
  }

  /**
   * queued → running with a fresh lease. Every claim bumps the fencing token; a woken
   * waiting step keeps its attempt number, anything else starts a new attempt. Each pick
   * records the agent that serves it (`served_by`) and when (`claimed_at`).
   */
  async claim(picks: Array<{ id: string; servedBy: string | null }>, owner: string, leaseSeconds: number, tx: Queryable): Promise<ClaimedStep[]> {
    // The woken flag is read before the update clears it, so a later retry of the same
    // step counts as a new attempt again.
    const { rows } = await tx.query<ClaimedRow>(
      `with picked as (
         select s.id, s.wake_reason, c.served_by from orchestration_steps s
           join unnest($1::uuid[], $5::text[]) as c(id, served_by) on c.id = s.id
          where s.status = any($4::text[]) for update of s
       )
       update orchestration_steps s
          set status = 'running', lease_owner = $2::text, served_by = p.served_by, claimed_at = now(),
              wait_reason = null, agent_wait_since = null,
              lease_expires_at = now() + ($3::int * interval '1 second'),
              lease_token = s.lease_token + 1,
              attempt = s.attempt + case when p.wake_reason is null then 1 else 0 end,
              wake_reason = null, started_at = coalesce(s.started_at, now()), updated_at = now()
         from picked p, orchestration_runs r
        where s.id = p.id and r.id = s.run_id
        returning s.id, s.run_id, s.step_key, s.type, s.agent, s.capability, s.served_by, s.attempt, s.max_attempts, s.lease_token,
                  p.wake_reason, s.iteration, s.child_run_id, r.definition_id, r.owner, r.input, r.status as run_status`,
      [picks.map((p) => p.id), owner, leaseSeconds, STEP_MOVES.claim.from, picks.map((p) => p.servedBy)],
    );
    return rows.map((row) => ({
      id: row.id,
      runId: row.run_id,
      key: row.step_key,
      type: row.type,
      agent: row.agent,
      capability: row.capability,
      servedBy: row.served_by,
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
