import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import { ACTIVE_STEP_STATUSES, RUN_MOVES, STEP_MOVES, TERMINAL_RUN_STATUSES } from '@baton/runs';
import type { Finding, FindingKind } from './doctor-finding.js';
import { REMEDIES } from './doctor-finding.js';

/** A step a repair moved. */
export interface MovedStep {
  runId: string;
  stepKey: string;
}

interface FindingRow {
  run_id: string;
  step_id: string | null;
  step_key: string | null;
  lease_token: string | null;
  detail: string;
}

/**
 * The doctor reads the engine's tables (runs, steps, approvals) directly: it looks for
 * states the engine's own code believes cannot happen, so it must not go through that code.
 * Every repair is one UPDATE guarded by a move of the aggregate's transition table
 * (`RUN_MOVES`, `STEP_MOVES`) and the lease token as seen, so a repair that races the engine
 * changes nothing.
 */
@Injectable()
export class DoctorRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Running steps whose lease expired more than `graceSeconds` ago (the sweep missed them). */
  expiredLeases(graceSeconds: number): Promise<Finding[]> {
    return this.find(
      'expired_lease',
      `select s.run_id, s.id as step_id, s.step_key, s.lease_token::text as lease_token,
              'lease of ' || coalesce(s.lease_owner, '?') || ' expired at ' || s.lease_expires_at::text as detail
         from orchestration_steps s
        where s.status = 'running' and s.lease_expires_at < now() - ($1::int * interval '1 second')
          and exists (select 1 from orchestration_runs r where r.id = s.run_id and r.status in ('running', 'waiting', 'pending', 'paused'))
        limit 500`,
      [graceSeconds],
    );
  }

  /** Due queued steps left unclaimed for `stuckSeconds` although their run and the hub have free slots. */
  unclaimedQueued(stuckSeconds: number, maxConcurrency: number): Promise<Finding[]> {
    return this.find(
      'unclaimed_queued_step',
      `with busy as (select run_id, count(*)::int as n from orchestration_steps where status = 'running' group by run_id),
            total as (select count(*)::int as n from orchestration_steps where status = 'running')
       select s.run_id, s.id as step_id, s.step_key, s.lease_token::text as lease_token,
              'queued and due since ' || s.available_at::text || ' with free slots' as detail
         from orchestration_steps s
         join orchestration_runs r on r.id = s.run_id
         left join busy b on b.run_id = s.run_id
        where s.status = 'queued' and s.available_at < now() - ($1::int * interval '1 second')
          and r.status in ('running', 'pending') and r.max_parallel > coalesce(b.n, 0)
          and (select n from total) < $2::int
        limit 500`,
      [stuckSeconds, maxConcurrency],
    );
  }

  /** Runs `running` with nothing queued, running or waiting (and not updated for `stuckSeconds`). */
  runsWithoutOpenSteps(stuckSeconds: number): Promise<Finding[]> {
    return this.find(
      'run_without_open_steps',
      `select r.id as run_id, null::uuid as step_id, null::text as step_key, null::text as lease_token,
              'running, ' || r.steps_done || ' of ' || r.steps_total || ' steps done, none queued, running or waiting' as detail
         from orchestration_runs r
        where r.status = 'running' and r.updated_at < now() - ($1::int * interval '1 second')
          and not exists (select 1 from orchestration_steps s where s.run_id = r.id and s.status = any($2::text[]))
        limit 500`,
      [stuckSeconds, ACTIVE_STEP_STATUSES],
    );
  }

  /** Waiting steps whose checkpoint was decided (or closed) while nothing woke them. */
  waitingOnClosedApproval(): Promise<Finding[]> {
    return this.find(
      'waiting_on_closed_approval',
      `select s.run_id, s.id as step_id, s.step_key, s.lease_token::text as lease_token,
              'waiting, but its approval ' || a.id || ' is ' || a.status as detail
         from orchestration_steps s
         join human_approvals a on a.step_id = s.id and a.attempt = s.attempt and a.status <> 'pending'
        where s.status = 'waiting' and s.child_run_id is null and s.wait_reason is null
          and not exists (select 1 from human_approvals p where p.step_id = s.id and p.attempt = s.attempt and p.status = 'pending')
        limit 500`,
    );
  }

  /** Waiting steps whose child run already finished. */
  waitingOnFinishedChild(): Promise<Finding[]> {
    return this.find(
      'waiting_on_finished_child',
      `select s.run_id, s.id as step_id, s.step_key, s.lease_token::text as lease_token,
              'waiting, but its child run ' || c.id || ' is ' || c.status as detail
         from orchestration_steps s
         join orchestration_runs c on c.id = s.child_run_id and c.status = any($1::text[])
        where s.status = 'waiting'
        limit 500`,
      [TERMINAL_RUN_STATUSES],
    );
  }

  /** Running steps of finished runs: they hold a slot (global and per agent) nobody frees. */
  leakedSlots(): Promise<Finding[]> {
    return this.find(
      'leaked_slot',
      `select s.run_id, s.id as step_id, s.step_key, s.lease_token::text as lease_token,
              'running, but its run is ' || r.status as detail
         from orchestration_steps s
         join orchestration_runs r on r.id = s.run_id and r.status = any($1::text[])
        where s.status = 'running'
        limit 500`,
      [TERMINAL_RUN_STATUSES],
    );
  }

  // Repairs: one guarded statement each (the owning aggregate's move); null when the state moved on.
  // They run in the caller's transaction, which also records the transition events.

  /** A lost lease: `recover` (running → queued), for the token the doctor saw. */
  async requeueExpired(stepId: string, token: number, tx: Queryable): Promise<MovedStep | null> {
    return this.movedStep(
      tx,
      `update orchestration_steps
          set status = 'queued', wake_reason = 'recovered', lease_owner = null, lease_expires_at = null,
              lease_recoveries = lease_recoveries + 1, available_at = now(), queued_at = now(), updated_at = now()
        where id = $1::uuid and status = any($3::text[]) and lease_token = $2::bigint and lease_expires_at < now()
        returning run_id::text as run_id, step_key`,
      [stepId, token, STEP_MOVES.recover.from],
    );
  }

  /**
   * `failStuck` (running → failed) when no step is in flight; null when the run moved on. The
   * caller then cancels the steps left open (`cancelOpenSteps`).
   */
  async failRun(runId: string, message: string, tx: Queryable): Promise<{ definition: string; durationMs: number } | null> {
    const { rows } = await tx.query<{ definition_name: string; duration_ms: number }>(
      `update orchestration_runs
          set status = 'failed', error = jsonb_build_object('code', 'stuck', 'message', $2::text),
              finished_at = now(), updated_at = now()
        where id = $1::uuid and status = any($3::text[])
          and not exists (select 1 from orchestration_steps s where s.run_id = $1::uuid and s.status = any($4::text[]))
        returning definition_name, (extract(epoch from now() - created_at) * 1000)::float8 as duration_ms`,
      [runId, message, RUN_MOVES.failStuck.from, ACTIVE_STEP_STATUSES],
    );
    return rows[0] ? { definition: rows[0].definition_name, durationMs: Math.round(rows[0].duration_ms) } : null;
  }

  /** `cancel` for the steps a failed run left open (pending ones, never released); each with the status it left. */
  async cancelOpenSteps(runId: string, tx: Queryable): Promise<Array<MovedStep & { from: string }>> {
    const { rows } = await tx.query<{ run_id: string; step_key: string; from_status: string }>(
      `update orchestration_steps s
          set status = 'cancelled', lease_owner = null, lease_expires_at = null, finished_at = now(), updated_at = now()
         from (select id, status as from_status from orchestration_steps
                where run_id = $1::uuid and status = any($2::text[]) for update) prev
        where s.id = prev.id
        returning s.run_id::text as run_id, s.step_key, prev.from_status`,
      [runId, STEP_MOVES.cancel.from],
    );
    return rows.map((row) => ({ runId: row.run_id, stepKey: row.step_key, from: row.from_status }));
  }

  /** What a waiting step waited for already happened: `wake` (waiting → queued). */
  async wakeWaiting(stepId: string, reason: string, tx: Queryable): Promise<MovedStep | null> {
    return this.movedStep(
      tx,
      `update orchestration_steps
          set status = 'queued', wake_reason = $2::text, available_at = now(), queued_at = now(), updated_at = now()
        where id = $1::uuid and status = any($3::text[])
        returning run_id::text as run_id, step_key`,
      [stepId, reason, STEP_MOVES.wake.from],
    );
  }

  /** A step still running after its run ended: `cancelOrphan` (running → cancelled) frees its slot. */
  async cancelLeaked(stepId: string, token: number, tx: Queryable): Promise<MovedStep | null> {
    return this.movedStep(
      tx,
      `update orchestration_steps
          set status = 'cancelled', lease_owner = null, lease_expires_at = null, finished_at = now(), updated_at = now()
        where id = $1::uuid and status = any($3::text[]) and lease_token = $2::bigint
          and exists (select 1 from orchestration_runs r where r.id = run_id and r.status = any($4::text[]))
        returning run_id::text as run_id, step_key`,
      [stepId, token, STEP_MOVES.cancelOrphan.from, TERMINAL_RUN_STATUSES],
    );
  }

  private async find(kind: FindingKind, sql: string, params: unknown[] = []): Promise<Finding[]> {
    const { rows } = await this.db.query<FindingRow>(sql, params);
    return rows.map((row) => ({
      kind,
      runId: row.run_id,
      stepId: row.step_id,
      stepKey: row.step_key,
      explanation: row.detail,
      remedy: REMEDIES[kind],
      ...(row.lease_token !== null ? { leaseToken: Number(row.lease_token) } : {}),
    }));
  }

  private async movedStep(tx: Queryable, sql: string, params: unknown[]): Promise<MovedStep | null> {
    const { rows } = await tx.query<{ run_id: string; step_key: string }>(sql, params);
    return rows[0] ? { runId: rows[0].run_id, stepKey: rows[0].step_key } : null;
  }
}
