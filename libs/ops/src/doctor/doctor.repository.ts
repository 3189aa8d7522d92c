import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import type { Finding, FindingKind } from './doctor-finding.js';
import { REMEDIES } from './doctor-finding.js';

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
 * Every repair is one guarded UPDATE (status and lease token as seen), so a repair that
 * races the engine changes nothing.
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
          and not exists (select 1 from orchestration_steps s where s.run_id = r.id and s.status in ('queued', 'running', 'waiting'))
        limit 500`,
      [stuckSeconds],
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
         join orchestration_runs c on c.id = s.child_run_id and c.status in ('completed', 'failed', 'cancelled')
        where s.status = 'waiting'
        limit 500`,
    );
  }

  /** Running steps of finished runs: they hold a slot (global and per agent) nobody frees. */
  leakedSlots(): Promise<Finding[]> {
    return this.find(
      'leaked_slot',
      `select s.run_id, s.id as step_id, s.step_key, s.lease_token::text as lease_token,
              'running, but its run is ' || r.status as detail
         from orchestration_steps s
         join orchestration_runs r on r.id = s.run_id and r.status in ('completed', 'failed', 'cancelled')
        where s.status = 'running'
        limit 500`,
    );
  }

  // Repairs: one guarded statement each; false when the state moved on.

  async requeueExpired(stepId: string, token: number): Promise<boolean> {
    return this.changed(
      `update orchestration_steps
          set status = 'queued', wake_reason = 'recovered', lease_owner = null, lease_expires_at = null,
              lease_recoveries = lease_recoveries + 1, available_at = now(), queued_at = now(), updated_at = now()
        where id = $1::uuid and status = 'running' and lease_token = $2::bigint and lease_expires_at < now()`,
      [stepId, token],
    );
  }

  async signalWork(channel: string, payload: string): Promise<void> {
    await this.db.query(`select pg_notify($1::text, $2::text)`, [channel, payload]);
  }

  /** Fails the run and cancels its pending steps, in one transaction; false when it moved on. */
  async failRun(runId: string, message: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const failed = await tx.query(
        `update orchestration_runs
            set status = 'failed', error = jsonb_build_object('code', 'stuck', 'message', $2::text),
                finished_at = now(), updated_at = now()
          where id = $1::uuid and status = 'running'
            and not exists (select 1 from orchestration_steps s where s.run_id = $1::uuid and s.status in ('queued', 'running', 'waiting'))`,
        [runId, message],
      );
      if (failed.rowCount === 0) return false;
      await tx.query(
        `update orchestration_steps set status = 'cancelled', finished_at = now(), updated_at = now()
          where run_id = $1::uuid and status = 'pending'`,
        [runId],
      );
      return true;
    });
  }

  async wakeWaiting(stepId: string, reason: string): Promise<boolean> {
    return this.changed(
      `update orchestration_steps
          set status = 'queued', wake_reason = $2::text, available_at = now(), queued_at = now(), updated_at = now()
        where id = $1::uuid and status = 'waiting'`,
      [stepId, reason],
    );
  }

  async cancelLeaked(stepId: string, token: number): Promise<boolean> {
    return this.changed(
      `update orchestration_steps
          set status = 'cancelled', lease_owner = null, lease_expires_at = null, finished_at = now(), updated_at = now()
        where id = $1::uuid and status = 'running' and lease_token = $2::bigint
          and exists (select 1 from orchestration_runs r where r.id = run_id and r.status in ('completed', 'failed', 'cancelled'))`,
      [stepId, token],
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

  /** Runs a guarded UPDATE; true when it changed a row. */
  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return (await this.db.query(sql, params)).rowCount > 0;
  }
}
