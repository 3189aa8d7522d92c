import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { CompensateSpec } from '@baton/definitions';
import { COMPENSATION_MOVES, OPEN_COMPENSATION_STATUSES, UNDONE_COMPENSATION_STATUSES } from '../domain/compensation-status.js';
import type { StepError } from '../domain/run.types.js';
import { RUN_MOVES } from '../domain/run-status.js';
import { json } from './run.mapper.js';

/** A compensation to create when a run starts rolling back. */
export interface NewCompensation {
  stepId: string;
  stepKey: string;
  afterKeys: string[];
  spec: CompensateSpec;
  /** What the `input` template sees. */
  context: CompensationContext;
}

export interface CompensationContext {
  input: unknown;
  steps: Record<string, { output: unknown; status: string }>;
  step: { input: unknown; output: unknown };
}

/** A compensation claimed under a lease: every report carries its `leaseToken`. */
export interface ClaimedCompensation {
  id: string;
  runId: string;
  stepKey: string;
  spec: CompensateSpec;
  context: CompensationContext;
  attempt: number;
  maxAttempts: number;
  leaseToken: number;
}

/** A compensation that exhausted its attempts and waits for a person (retry / give up). */
export interface EscalatedCompensation {
  id: string;
  runId: string;
  stepId: string;
  stepKey: string;
  attempt: number;
  spec: CompensateSpec;
  error: StepError | null;
}

interface ClaimedRow {
  id: string;
  run_id: string;
  step_key: string;
  spec: CompensateSpec;
  context: CompensationContext;
  attempt: number;
  max_attempts: number;
  lease_token: string;
}

/** orchestration_compensations: one statement per method. */
@Injectable()
export class CompensationRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** `timeoutSeconds` bounds the whole rollback: every row gets the same `deadline_at`. */
  async insertMany(runId: string, outcome: 'failed' | 'cancelled', rows: NewCompensation[], timeoutSeconds: number, tx: Queryable): Promise<number> {
    const result = await tx.query(
      `insert into orchestration_compensations (run_id, step_id, step_key, after_keys, spec, context, max_attempts, run_outcome, deadline_at)
       select $1::uuid, c.step_id, c.step_key, array(select jsonb_array_elements_text(c.after_keys)), c.spec, c.context, c.max_attempts, $3::text,
              now() + ($4::int * interval '1 second')
         from jsonb_to_recordset($2::jsonb)
           as c(step_id uuid, step_key text, after_keys jsonb, spec jsonb, context jsonb, max_attempts int)
       on conflict on constraint orchestration_compensations_step_key do nothing`,
      [
        runId,
        json(rows.map((r) => ({ step_id: r.stepId, step_key: r.stepKey, after_keys: r.afterKeys, spec: r.spec, context: r.context, max_attempts: r.spec.maxAttempts }))),
        outcome,
        timeoutSeconds,
      ],
    );
    return result.rowCount ?? 0;
  }

  /**
   * Claims due compensations whose run is rolling back and whose `after_keys` (the
   * compensations of the steps that depended on this one) have all finished. `skip locked`:
   * two instances never claim the same row; the token fences every report. The lease is the
   * call's timeout plus `leaseSeconds`, so a live call never loses it.
   */
  async claim(owner: string, leaseSeconds: number, limit: number, defaultTimeoutSeconds: number): Promise<ClaimedCompensation[]> {
    const { rows } = await this.db.query<ClaimedRow>(
      `with ready as (
         select c.id from orchestration_compensations c
          join orchestration_runs r on r.id = c.run_id and r.status = $8::text
          where c.status = any($3::text[]) and c.available_at <= now()
            and not exists (select 1 from orchestration_compensations d
                             where d.run_id = c.run_id and d.step_key = any(c.after_keys) and d.status = any($5::text[]))
          order by c.available_at, c.id
          limit $4::int
          for update of c skip locked
       )
       update orchestration_compensations c
          set status = $6::text, attempt = c.attempt + 1, lease_owner = $1::text,
              lease_expires_at = now() + ((coalesce((c.spec->>'timeoutSeconds')::int, $7::int) + $2::int) * interval '1 second'), lease_token = c.lease_token + 1,
              started_at = coalesce(c.started_at, now())
         from ready where c.id = ready.id
        returning c.id, c.run_id, c.step_key, c.spec, c.context, c.attempt, c.max_attempts, c.lease_token`,
      [owner, leaseSeconds, COMPENSATION_MOVES.claim.from, limit, OPEN_COMPENSATION_STATUSES, COMPENSATION_MOVES.claim.to, defaultTimeoutSeconds, RUN_MOVES.compensate.to],
    );
    return rows.map((row) => ({
      id: row.id, runId: row.run_id, stepKey: row.step_key, spec: row.spec, context: row.context,
      attempt: row.attempt, maxAttempts: row.max_attempts, leaseToken: Number(row.lease_token),
    }));
  }

  /**
   * Ends (or re-queues) one attempt, fenced by the lease token: a late report from an
   * instance that lost the lease changes nothing, so no compensation completes twice.
   */
  async finish(
    c: Pick<ClaimedCompensation, 'id' | 'leaseToken'>,
    to: 'completed' | 'escalated' | 'pending',
    fields: { input?: unknown; output?: unknown; error?: StepError; delayMs?: number },
    tx: Queryable,
  ): Promise<{ runId: string; outcome: 'failed' | 'cancelled' } | null> {
    const move = to === 'completed' ? COMPENSATION_MOVES.complete : to === 'escalated' ? COMPENSATION_MOVES.escalate : COMPENSATION_MOVES.retry;
    const { rows } = await tx.query<{ run_id: string; run_outcome: 'failed' | 'cancelled' }>(
      `update orchestration_compensations
          set status = $4::text, input = $5::jsonb, output = $6::jsonb, error = $7::jsonb,
              lease_owner = null, lease_expires_at = null,
              available_at = now() + ($8::int * interval '1 millisecond'),
              finished_at = case when $4::text = any($9::text[]) then null else now() end
        where id = $1::uuid and lease_token = $2::bigint and status = any($3::text[])
        returning run_id, run_outcome`,
      [c.id, c.leaseToken, move.from, move.to, json(fields.input ?? null), json(fields.output ?? null), json(fields.error ?? null), fields.delayMs ?? 0, OPEN_COMPENSATION_STATUSES],
    );
    return rows[0] ? { runId: rows[0].run_id, outcome: rows[0].run_outcome } : null;
  }

  /**
   * Compensations whose lease expired (their instance died) go back to `pending` for the same
   * attempt: a crash is not the compensation's fault. Returns how many.
   */
  async recoverExpired(tx: Queryable = this.db): Promise<number> {
    const result = await tx.query(
      `update orchestration_compensations c set status = $2::text, attempt = c.attempt - 1, lease_owner = null, lease_expires_at = null
        where c.id in (select id from orchestration_compensations
                        where status = any($1::text[]) and lease_expires_at < now()
                        for update skip locked)`,
      [COMPENSATION_MOVES.retry.from, COMPENSATION_MOVES.retry.to],
    );
    return result.rowCount ?? 0;
  }

  /** Locks the run row: serializes the last-compensation check of concurrent finishers. */
  async lockRun(runId: string, tx: Queryable): Promise<void> {
    await tx.query(`select id from orchestration_runs where id = $1::uuid for update`, [runId]);
  }

  /** The run's compensations by status (the row lock on the run serializes the last check). */
  async tally(runId: string, tx: Queryable): Promise<{ open: number; failed: number }> {
    const { rows } = await tx.query<{ open: number; failed: number }>(
      `select count(*) filter (where status = any($2::text[]))::int as open,
              count(*) filter (where status = any($3::text[]))::int as failed
         from orchestration_compensations where run_id = $1::uuid`,
      [runId, OPEN_COMPENSATION_STATUSES, UNDONE_COMPENSATION_STATUSES],
    );
    return rows[0] ?? { open: 0, failed: 0 };
  }

  /** An escalated compensation (waiting for a person), for the approval that asks about it. */
  async findEscalated(id: string, tx: Queryable): Promise<EscalatedCompensation | null> {
    const { rows } = await tx.query<{ id: string; run_id: string; step_id: string; step_key: string; attempt: number; spec: CompensateSpec; error: StepError | null }>(
      `select id, run_id, step_id, step_key, attempt, spec, error from orchestration_compensations
        where id = $1::uuid and status = any($2::text[])`,
      [id, COMPENSATION_MOVES.resume.from],
    );
    const row = rows[0];
    return row ? { id: row.id, runId: row.run_id, stepId: row.step_id, stepKey: row.step_key, attempt: row.attempt, spec: row.spec, error: row.error } : null;
  }

  /**
   * A person decided about an escalated compensation: `retry` re-queues it now with a fresh
   * budget of `retry.max_attempts`, `give_up` fails it for good. Null when it is no longer
   * escalated (the rollback ran out of time, or another decision won).
   */
  async resolve(runId: string, stepId: string, choice: 'retry' | 'give_up', tx: Queryable): Promise<{ id: string; stepKey: string; outcome: 'failed' | 'cancelled' } | null> {
    const move = choice === 'retry' ? COMPENSATION_MOVES.resume : COMPENSATION_MOVES.giveUp;
    const { rows } = await tx.query<{ id: string; step_key: string; run_outcome: 'failed' | 'cancelled' }>(
      `update orchestration_compensations
          set status = $4::text, available_at = now(),
              max_attempts = case when $4::text = $5::text then attempt + coalesce((spec->>'maxAttempts')::int, 1) else max_attempts end,
              finished_at = case when $4::text = $5::text then null else now() end
        where run_id = $1::uuid and step_id = $2::uuid and status = any($3::text[])
        returning id, step_key, run_outcome`,
      [runId, stepId, move.from, move.to, COMPENSATION_MOVES.resume.to],
    );
    return rows[0] ? { id: rows[0].id, stepKey: rows[0].step_key, outcome: rows[0].run_outcome } : null;
  }

  /**
   * Open compensations past their rollback's deadline become `abandoned`. The lease token
   * moves too, so a call still in flight cannot report afterwards. `skip locked`: a row being
   * reported right now is taken by the next sweep (if it is still open then).
   */
  async abandonOverdue(limit: number, error: StepError, tx: Queryable): Promise<Array<{ runId: string; stepKey: string; outcome: 'failed' | 'cancelled' }>> {
    const { rows } = await tx.query<{ run_id: string; step_key: string; run_outcome: 'failed' | 'cancelled' }>(
      `with overdue as (
         select id from orchestration_compensations
          where status = any($1::text[]) and deadline_at <= now()
          order by deadline_at, id limit $2::int
          for update skip locked
       )
       update orchestration_compensations c
          set status = $3::text, error = coalesce(c.error, $4::jsonb), lease_owner = null, lease_expires_at = null,
              lease_token = c.lease_token + 1, finished_at = now()
         from overdue where c.id = overdue.id
        returning c.run_id, c.step_key, c.run_outcome`,
      [COMPENSATION_MOVES.abandon.from, limit, COMPENSATION_MOVES.abandon.to, json(error)],
    );
    return rows.map((row) => ({ runId: row.run_id, stepKey: row.step_key, outcome: row.run_outcome }));
  }

  /** When the next pending compensation is due (null: none). */
  async nextDueAt(): Promise<Date | null> {
    const { rows } = await this.db.query<{ at: Date | null }>(
      `select min(available_at) as at from orchestration_compensations where status = any($1::text[])`,
      [COMPENSATION_MOVES.claim.from],
    );
    return rows[0]?.at ? new Date(rows[0].at) : null;
  }
}
