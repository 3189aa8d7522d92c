import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { CacheOutcome, Step, StepError, UpstreamStep } from '../domain/run.types.js';
import type { RunStatus } from '../domain/run-status.js';
import { ACTIVE_STEP_STATUSES, SATISFYING_STEP_STATUSES, STEP_MOVES, TERMINAL_STEP_STATUSES, finishGuard, type StepStatus } from '../domain/step-status.js';
import { runLockKey } from './claim-locks.repository.js';
import { SETTLE_RUNS_SQL, countDone, releaseDependents } from './settle-statements.js';
import { STEP_COLUMNS, iterationsOf, json, toStep, type StepRow } from './run.mapper.js';

export interface NewStep {
  key: string;
  position: number;
  type: string;
  agent: string | null;
  capability?: string | null;
  dependsOn: string[];
  dependents: string[];
  isSink: boolean;
  maxAttempts: number;
  /** 1 for a step with `loop` (its first iteration), null otherwise. */
  iteration?: number | null;
}

/** What a downstream step (its templates and conditions) sees of a step. */
export type { UpstreamStep };

/** What a terminal write tells the caller about the step it finished. */
export interface FinishedStep {
  runId: string;
  key: string;
  dependents: string[];
  /** The status it left (running, or waiting for a woken step). */
  from: StepStatus;
}

/** What finishing steps of one run did to it: the dependents that became queued, and its counter. */
export interface RunSettlement {
  queued: string[];
  /** Null when the run row is gone. */
  counter: { stepsDone: number; stepsTotal: number; status: RunStatus } | null;
  /** The hand-off's locks, when asked for (`completeMany`'s `settle.handOffLock`). */
  handOffLocks?: { global: boolean; run: boolean };
}

/** orchestration_steps: state transitions, each guarded by status and fencing token. */
@Injectable()
export class StepRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** All steps of a new run in one statement; roots start queued, the rest pending. */
  async insertMany(runId: string, steps: NewStep[], tx: Queryable): Promise<void> {
    const payload = steps.map((s) => ({
      step_key: s.key,
      position: s.position,
      type: s.type,
      agent: s.agent,
      capability: s.capability ?? null,
      depends_on: s.dependsOn,
      dependents: s.dependents,
      is_sink: s.isSink,
      max_attempts: s.maxAttempts,
      iteration: s.iteration ?? null,
    }));
    await tx.query(
      `insert into orchestration_steps (run_id, step_key, position, type, agent, capability, status, depends_on, dependents,
         deps_remaining, is_sink, max_attempts, attempt_budget, queued_at, iteration)
       select $1::uuid, s.step_key, s.position, s.type, s.agent, s.capability,
              case when jsonb_array_length(s.depends_on) = 0 then 'queued' else 'pending' end,
              array(select jsonb_array_elements_text(s.depends_on)),
              array(select jsonb_array_elements_text(s.dependents)),
              jsonb_array_length(s.depends_on), s.is_sink, s.max_attempts, s.max_attempts,
              case when jsonb_array_length(s.depends_on) = 0 then now() end, s.iteration
         from jsonb_to_recordset($2::jsonb) as s(step_key text, position int, type text, agent text, capability text,
              depends_on jsonb, dependents jsonb, is_sink boolean, max_attempts int, iteration int)`,
      [runId, JSON.stringify(payload)],
    );
  }

  async listByRun(runId: string, tx: Queryable = this.db): Promise<Step[]> {
    const { rows } = await tx.query<StepRow>(
      `select ${STEP_COLUMNS} from orchestration_steps where run_id = $1::uuid order by position`,
      [runId],
    );
    return rows.map(toStep);
  }

  async findByKey(runId: string, key: string, tx: Queryable = this.db): Promise<Step | null> {
    const { rows } = await tx.query<StepRow>(
      `select ${STEP_COLUMNS} from orchestration_steps where run_id = $1::uuid and step_key = $2::text`,
      [runId, key],
    );
    return rows[0] ? toStep(rows[0]) : null;
  }

  async findById(id: string, tx: Queryable = this.db): Promise<Step | null> {
    const { rows } = await tx.query<StepRow>(`select ${STEP_COLUMNS} from orchestration_steps where id = $1::uuid`, [id]);
    return rows[0] ? toStep(rows[0]) : null;
  }

  /** Whether the step is still running under this claim (its fencing token). */
  async holdsLease(id: string, token: number, tx: Queryable = this.db): Promise<boolean> {
    const { rows } = await tx.query(
      `select 1 from orchestration_steps where id = $1::uuid and lease_token = $2::bigint and status = 'running'`,
      [id, token],
    );
    return rows.length > 0;
  }

  /**
   * Outputs, statuses and skip reasons of the named steps (a template's upstream); a looping
   * step also gives its finished iterations' outputs, in order.
   */
  async outputs(runId: string, keys: string[]): Promise<Map<string, UpstreamStep>> {
    if (keys.length === 0) return new Map();
    const { rows } = await this.db.query<{ step_key: string; output: unknown; status: string; skip_reason: string | null; iterations: unknown[] | null }>(
      `select s.step_key, s.output, s.status, s.skip_reason, ${iterationsOf('s')} as iterations
         from orchestration_steps s where s.run_id = $1::uuid and s.step_key = any($2::text[])`,
      [runId, keys],
    );
    return new Map(
      rows.map((row) => {
        const upstream: UpstreamStep = { output: row.output, status: row.status, skipReason: row.skip_reason };
        if (row.iterations) upstream.iterations = row.iterations;
        return [row.step_key, upstream];
      }),
    );
  }

  /** Outputs of the steps nothing depends on: the run's output. */
  async sinkOutputs(runId: string, tx: Queryable): Promise<Record<string, unknown>> {
    const { rows } = await tx.query<{ output: Record<string, unknown> | null }>(
      `select coalesce(jsonb_object_agg(step_key, output order by position), '{}'::jsonb) as output
         from orchestration_steps where run_id = $1::uuid and is_sink`,
      [runId],
    );
    return rows[0]?.output ?? {};
  }

  /**
   * running → completed | failed | skipped, only for the holder of the current lease (or a
   * woken waiting step). A stale writer matches no row and gets null.
   */
  async finish(
    id: string,
    token: number,
    status: 'completed' | 'failed' | 'skipped',
    fields: { input?: unknown; output?: unknown; error?: StepError | null; cache?: CacheOutcome; skipReason?: 'condition' },
    tx: Queryable,
  ): Promise<FinishedStep | null> {
    const { rows } = await tx.query<{ run_id: string; step_key: string; dependents: string[]; from_status: StepStatus }>(
      `with prev as (
         select id as prev_id, status as from_status from orchestration_steps
          where id = $1::uuid and lease_token = $2::bigint and status = any($11::text[]) for update
       )
       update orchestration_steps
          set status = $3::text, input = coalesce($4::jsonb, input), output = $5::jsonb, error = $6::jsonb,
              cache_key = coalesce($7::text, cache_key), cache_hit = coalesce($8::boolean, cache_hit),
              cache_stored_at = coalesce($9::timestamptz, cache_stored_at),
              cache_hits = coalesce($10::int, cache_hits), skip_reason = $12::text,
              finished_at = now(), updated_at = now(), lease_owner = null, lease_expires_at = null, wake_reason = null
         from prev
        where id = prev.prev_id
        returning run_id, step_key, dependents, prev.from_status`,
      [
        id,
        token,
        status,
        json(fields.input),
        json(fields.output ?? null),
        json(fields.error ?? null),
        fields.cache?.key ?? null,
        fields.cache?.hit ?? null,
        fields.cache?.storedAt ?? null,
        fields.cache?.hits ?? null,
        finishGuard(status),
        fields.skipReason ?? null,
      ],
    );
    const row = rows[0];
    return row ? { runId: row.run_id, key: row.step_key, dependents: row.dependents, from: row.from_status } : null;
  }

  /**
   * `finish(…, 'completed', …)` for a batch in ONE statement (issue 17): each item under the
   * same lease-token and status guard, so each is accepted or refused exactly as alone. An id
   * given twice counts once (its first item), as the second write would find it completed.
   * Row locks are taken in id order, so concurrent batches never deadlock on step rows.
   * Returns, per item (by index), the finished step or null when refused.
   *
   * `settle.runId`: every item is a step of this run, and the same statement also does what
   * `releaseDependentsAndCount` would for the finished ones (a chain's hand-off then costs
   * one statement less); its result is `settled`, null when nothing finished or without it.
   * `settle.handOffLock` (the global claim lock's key): it also takes the locks a hand-off of
   * this run needs, as `StepLeaseRepository.tryLockDueRuns` would (the global lock shared,
   * then the run's; try-locks only), so the hand-off's candidates, read by the next
   * statement, see what the run's previous claimer committed.
   */
  async completeMany(
    items: Array<{ id: string; token: number; input?: unknown; output?: unknown; cache?: CacheOutcome }>,
    tx: Queryable,
    settle?: { runId: string; handOffLock?: number },
  ): Promise<{ finished: Array<FinishedStep | null>; settled: RunSettlement | null }> {
    const settleRun = settle?.runId;
    const lock = settle?.handOffLock !== undefined;
    if (items.length === 0) return { finished: [], settled: null };
    const update = `update orchestration_steps
          set status = 'completed', input = coalesce(prev.input::jsonb, orchestration_steps.input), output = prev.output::jsonb, error = 'null'::jsonb,
              cache_key = coalesce(prev.cache_key, orchestration_steps.cache_key), cache_hit = coalesce(prev.cache_hit, orchestration_steps.cache_hit),
              cache_stored_at = coalesce(prev.cache_stored_at::timestamptz, orchestration_steps.cache_stored_at),
              cache_hits = coalesce(prev.cache_hits, orchestration_steps.cache_hits), skip_reason = null,
              finished_at = now(), updated_at = now(), lease_owner = null, lease_expires_at = null, wake_reason = null
         from prev
        where orchestration_steps.id = prev.prev_id
        returning prev.ord, orchestration_steps.run_id, orchestration_steps.step_key, orchestration_steps.dependents, prev.from_status`;
    // The release waits for the completion (it reads its rows), the run's counter for the
    // release (a one-time filter): step rows are locked before the run row, as always.
    const settleSql = `, d as (
         select k, count(*)::int as n from fin, unnest(fin.dependents) as k group by k
       ), rel as (
         ${releaseDependents('d', '$11::uuid', '$12::text[]')}
       ), counted as (
         ${countDone('$11::uuid', '(select count(*)::int from fin)', 'exists (select 1 from fin)')}
       )${lock ? `, g as materialized (
         select pg_try_advisory_xact_lock_shared($14::bigint) as ok
       ), locks as materialized (
         select g.ok as global, case when g.ok then pg_try_advisory_xact_lock(${runLockKey('$11::uuid')}) else false end as run from g
       )` : ''}
       select f.ord, f.run_id, f.step_key, f.dependents, f.from_status,
              null::text[] as queued, null::int as steps_done, null::int as steps_total, null::text as run_status,
              null::boolean as lock_global, null::boolean as lock_run
         from fin f
       union all
       select null, null, null, null, null,
              coalesce((select array_agg(step_key) from rel where status = any($13::text[])), '{}'), c.steps_done, c.steps_total, c.status,
              ${lock ? '(select global from locks), (select run from locks)' : 'null, null'}
         from counted c`;
    const { rows } = await tx.query<{
      ord: number | null; run_id: string; step_key: string; dependents: string[]; from_status: StepStatus;
      queued?: string[] | null; steps_done?: number | null; steps_total?: number | null; run_status?: RunStatus | null;
      lock_global?: boolean | null; lock_run?: boolean | null;
    }>(
      `with batch as (
         select distinct on (b.id) b.* from unnest($1::int[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[], $9::int[])
                as b(ord, id, token, input, output, cache_key, cache_hit, cache_stored_at, cache_hits)
          order by b.id, b.ord
       ), prev as (
         select s.id as prev_id, s.status as from_status, b.* from orchestration_steps s
           join batch b on b.id = s.id and s.lease_token = b.token
          where s.status = any($10::text[])
          order by s.id
            for update of s
       )
       ${settleRun ? `, fin as (${update})${settleSql}` : update}`,
      [
        items.map((_, i) => i),
        items.map((item) => item.id),
        items.map((item) => item.token),
        items.map((item) => json(item.input)),
        items.map((item) => json(item.output ?? null)),
        items.map((item) => item.cache?.key ?? null),
        items.map((item) => item.cache?.hit ?? null),
        items.map((item) => item.cache?.storedAt ? new Date(item.cache.storedAt).toISOString() : null),
        items.map((item) => item.cache?.hits ?? null),
        finishGuard('completed'),
        ...(settleRun ? [settleRun, STEP_MOVES.release.from, STEP_MOVES.release.to] : []),
        ...(lock ? [settle!.handOffLock] : []),
      ],
    );
    const finished = new Array<FinishedStep | null>(items.length).fill(null);
    let settled: RunSettlement | null = null;
    for (const row of rows) {
      if (row.ord !== null) finished[row.ord] = { runId: row.run_id, key: row.step_key, dependents: row.dependents, from: row.from_status };
      else {
        const counter = { stepsDone: row.steps_done!, stepsTotal: row.steps_total!, status: row.run_status! };
        settled = { queued: row.queued ?? [], counter, ...(lock && { handOffLocks: { global: row.lock_global === true, run: row.lock_run === true } }) };
      }
    }
    // Steps finished but the run row is gone: nothing to count, as releaseDependentsAndCount says.
    if (settleRun && !settled && finished.some((f) => f !== null)) settled = { queued: [], counter: null };
    return { finished, settled };
  }

  /**
   * What finishing steps of one run owes it: `settleRuns` for that run alone. A key listed
   * twice (a dependent of two finished steps) counts twice; `done` more steps on the counter.
   */
  async releaseDependentsAndCount(runId: string, keys: string[], done: number, tx: Queryable): Promise<RunSettlement> {
    return (await this.settleRuns([{ runId, dependents: keys, done }], tx)).get(runId)!;
  }

  /**
   * What finishing steps owes their runs, for every run of a batch in ONE statement (issue 17;
   * it was one statement per run): one satisfied dependency counted on each listed dependent,
   * and `done` more steps on each run's counter. Returns, per run, the keys that became queued
   * and the counter (null when the run row is gone); one entry per run. All the dependents' rows are locked
   * first, in (run, key) order, then the run rows in id order: two batches over the same runs
   * lock in the same order, and a step row is still locked before its run's row.
   */
  async settleRuns(runs: Array<{ runId: string; dependents: string[]; done: number }>, tx: Queryable): Promise<Map<string, RunSettlement>> {
    const settled = new Map<string, RunSettlement>();
    if (runs.length === 0) return settled;
    const { rows } = await tx.query<{ run_id: string; queued: string[]; steps_done: number | null; steps_total: number | null; status: RunStatus | null }>(
      SETTLE_RUNS_SQL,
      [
        runs.flatMap((run) => run.dependents.map(() => run.runId)),
        runs.flatMap((run) => run.dependents),
        STEP_MOVES.release.from,
        runs.map((run) => run.runId),
        runs.map((run) => run.done),
        STEP_MOVES.release.to,
      ],
    );
    for (const row of rows) {
      const counter = row.steps_done === null ? null : { stepsDone: row.steps_done, stepsTotal: row.steps_total!, status: row.status! };
      settled.set(row.run_id, { queued: row.queued, counter });
    }
    return settled;
  }

  /** running → queued after a failed attempt, claimable again after `delayMs`. */
  async requeueForRetry(
    id: string,
    token: number,
    delayMs: number,
    fields: { input?: unknown; error: StepError },
    tx: Queryable,
  ): Promise<{ runId: string; key: string } | null> {
    const { rows } = await tx.query<{ run_id: string; step_key: string }>(
      `update orchestration_steps
          set status = 'queued', error = $4::jsonb, input = coalesce($5::jsonb, input),
              available_at = now() + ($3::int * interval '1 millisecond'), queued_at = now(),
              lease_owner = null, lease_expires_at = null, updated_at = now()
        where id = $1::uuid and lease_token = $2::bigint and status = any($6::text[])
        returning run_id, step_key`,
      [id, token, delayMs, json(fields.error), json(fields.input), STEP_MOVES.retry.from],
    );
    return rows[0] ? { runId: rows[0].run_id, key: rows[0].step_key } : null;
  }

  /** running → waiting (child run, checkpoint, event, or a worker node's job: `reason` 'worker'); the slot is released. */
  async markWaiting(id: string, token: number, childRunId: string | null, tx: Queryable, reason: 'worker' | null = null): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update orchestration_steps
          set status = 'waiting', child_run_id = coalesce($3::uuid, child_run_id), wait_reason = $5::text,
              lease_owner = null, lease_expires_at = null, updated_at = now()
        where id = $1::uuid and lease_token = $2::bigint and status = any($4::text[])`,
      [id, token, childRunId, STEP_MOVES.park.from, reason],
    );
    return rowCount > 0;
  }

  /** Whether the step is open (not finished) in `attempt`: a worker job of another attempt or a finished step is stale. */
  async isOpenAttempt(id: string, attempt: number): Promise<boolean> {
    const { rows } = await this.db.query(
      `select 1 from orchestration_steps where id = $1::uuid and attempt = $2::int and status = any($3::text[])`,
      [id, attempt, ACTIVE_STEP_STATUSES],
    );
    return rows.length > 0;
  }

  /** waiting → queued, to be claimed again and carry on from `reason`. */
  async wake(id: string, reason: string | null, tx: Queryable): Promise<{ runId: string; key: string } | null> {
    const { rows } = await tx.query<{ run_id: string; step_key: string }>(
      `update orchestration_steps
          set status = 'queued', wake_reason = $2::text, available_at = now(), queued_at = now(), updated_at = now()
        where id = $1::uuid and status = any($3::text[])
        returning run_id, step_key`,
      [id, reason, STEP_MOVES.wake.from],
    );
    return rows[0] ? { runId: rows[0].run_id, key: rows[0].step_key } : null;
  }

  /** waiting → queued by run and step key (a step waiting for an event knows no step id). */
  async wakeByKey(runId: string, key: string, reason: string, tx: Queryable): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update orchestration_steps
          set status = 'queued', wake_reason = $3::text, available_at = now(), queued_at = now(), updated_at = now()
        where run_id = $1::uuid and step_key = $2::text and status = any($4::text[])`,
      [runId, key, reason, STEP_MOVES.wake.from],
    );
    return rowCount > 0;
  }

  /** Steps of a run waiting for a person (waiting without a child run, and with no `wait_reason`: not for a worker node or an agent's breaker). */
  async countApprovalWaits(runId: string, tx: Queryable): Promise<number> {
    const { rows } = await tx.query<{ n: number }>(
      `select count(*)::int as n from orchestration_steps
        where run_id = $1::uuid and status = 'waiting' and child_run_id is null and wait_reason is null`,
      [runId],
    );
    return rows[0]?.n ?? 0;
  }

  /** Every open step of a run → cancelled; returns their keys and ids of their child runs. */
  async cancelOpen(runId: string, tx: Queryable): Promise<Array<{ key: string; wasRunning: boolean; from: StepStatus }>> {
    const { rows } = await tx.query<{ step_key: string; was_running: boolean; from_status: StepStatus }>(
      `update orchestration_steps s
          set status = 'cancelled', finished_at = now(), updated_at = now(), lease_owner = null,
              lease_expires_at = null
         from (select id, status as from_status, status = 'running' as was_running from orchestration_steps
                where run_id = $1::uuid and status = any($2::text[])) o
        where s.id = o.id
        returning s.step_key, o.was_running, o.from_status`,
      [runId, STEP_MOVES.cancel.from],
    );
    return rows.map((row) => ({ key: row.step_key, wasRunning: row.was_running, from: row.from_status }));
  }

  /**
   * Re-opens a failed run: the failed and cancelled steps go back to queued (all their
   * dependencies satisfied) or pending (with the count of unsatisfied ones), each with a
   * fresh budget of attempts on top of those spent. Returns the number of terminal steps
   * left, for the run's counter.
   */
  async reopen(runId: string, tx: Queryable): Promise<{ reopened: string[]; stepsDone: number }> {
    const { rows } = await tx.query<{ step_key: string }>(
      `with reset_steps as (
         select s.id,
                (select count(*) from unnest(s.depends_on) d
                   join orchestration_steps u on u.run_id = s.run_id and u.step_key = d
                  where not u.status = any($3::text[]))::int as remaining
           from orchestration_steps s
          where s.run_id = $1::uuid and s.status = any($2::text[])
       )
       update orchestration_steps s
          set status = case when o.remaining = 0 then 'queued' else 'pending' end,
              deps_remaining = o.remaining, max_attempts = s.attempt + s.attempt_budget, error = null, output = null,
              finished_at = null,
              available_at = now(), queued_at = case when o.remaining = 0 then now() end,
              lease_owner = null, lease_expires_at = null, wake_reason = null, child_run_id = null,
              lease_recoveries = 0, updated_at = now()
         from reset_steps o where s.id = o.id
       returning s.step_key`,
      [runId, STEP_MOVES.reopen.from, SATISFYING_STEP_STATUSES],
    );
    const done = await tx.query<{ n: number }>(
      `select count(*)::int as n from orchestration_steps
        where run_id = $1::uuid and status = any($2::text[])`,
      [runId, TERMINAL_STEP_STATUSES],
    );
    return { reopened: rows.map((row) => row.step_key), stepsDone: done.rows[0]?.n ?? 0 };
  }
}
