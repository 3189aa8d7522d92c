import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { RunTraceContext } from '@baton/telemetry';
import type { Run, RunExecution, StepError } from '../domain/run.types.js';
import { OPEN_RUN_STATUSES, RUN_MOVES, isTerminalRun, type RunMove, type RunStatus } from '../domain/run-status.js';
import { RUN_COLUMNS, json, toRun, type RunRow } from './run.mapper.js';

export interface NewRun {
  definitionId: string;
  definitionName: string;
  definitionVersion: string;
  owner: string;
  input: unknown;
  metadata: Record<string, unknown>;
  execution: RunExecution;
  maxParallel: number;
  idempotencyKey: string | null;
  parentRunId: string | null;
  parentStepId: string | null;
  stepsTotal: number;
  submittedBy: string | null;
  /** The OIDC subject of the person who submitted the run. */
  submittedByPerson?: string | null;
  /** Seconds after creation when the run is cancelled with `run_timeout` (null: no deadline). */
  timeoutSeconds?: number | null;
  /** False: the run waits in the admission queue (MAX_CONCURRENT_WORKFLOWS). */
  admitted?: boolean;
  /** Where the run hangs in its trace (issue 13); null while tracing is off. */
  traceContext?: RunTraceContext | null;
}

/** A run after a transition, and the status it left. */
export interface RunTransition {
  run: Run;
  from: RunStatus;
}

export interface RunListFilter {
  status?: RunStatus;
  definitionName?: string;
  owner?: string;
  /** Only runs this token submitted. */
  submittedBy?: string;
  /** Only runs whose `metadata.contextId` is this (an A2A conversation). */
  contextId?: string;
  /** Created at or after / strictly before these instants (ISO 8601), for the time filter. */
  createdAfter?: string;
  createdBefore?: string;
  limit: number;
  /** Keyset cursor: runs created before this (created_at, id). */
  before?: { createdAt: string; id: string };
}

/** orchestration_runs: one statement per method. */
@Injectable()
export class RunRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Inserts unless the idempotency key is taken; null then (the caller reads the existing run). */
  async insert(run: NewRun, tx: Queryable): Promise<Run | null> {
    const { rows } = await tx.query<RunRow>(
      `insert into orchestration_runs (definition_id, definition_name, definition_version, owner, input, metadata,
         execution, max_parallel, idempotency_key, parent_run_id, parent_step_id, steps_total, submitted_by,
         deadline_at, admitted_at, trace_context, submitted_by_person)
       values ($1::uuid, $2::text, $3::text, $4::text, $5::jsonb, $6::jsonb, $7::jsonb, $8::int, $9::text,
         $10::uuid, $11::uuid, $12::int, $13::uuid, now() + ($14::int * interval '1 second'), case when $15::boolean then now() end,
         $16::jsonb, $17::text)
       on conflict do nothing
       returning ${RUN_COLUMNS}`,
      [
        run.definitionId,
        run.definitionName,
        run.definitionVersion,
        run.owner,
        json(run.input ?? {}),
        json(run.metadata),
        json(run.execution),
        run.maxParallel,
        run.idempotencyKey,
        run.parentRunId,
        run.parentStepId,
        run.stepsTotal,
        run.submittedBy,
        run.timeoutSeconds ?? null,
        run.admitted ?? true,
        run.traceContext ? json(run.traceContext) : null,
        run.submittedByPerson ?? null,
      ],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async findById(id: string, tx: Queryable = this.db): Promise<Run | null> {
    const { rows } = await tx.query<RunRow>(`select ${RUN_COLUMNS} from orchestration_runs where id = $1::uuid`, [id]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** The owner of each of `ids` that exists (tenancy: readers of the event log filter by it). */
  async ownersOf(ids: string[], tx: Queryable = this.db): Promise<Map<string, string>> {
    const { rows } = await tx.query<{ id: string; owner: string }>(`select id, owner from orchestration_runs where id = any($1::uuid[])`, [ids]);
    return new Map(rows.map((row) => [row.id, row.owner]));
  }

  async findByIdempotencyKey(owner: string, key: string, tx: Queryable = this.db): Promise<Run | null> {
    const { rows } = await tx.query<RunRow>(
      `select ${RUN_COLUMNS} from orchestration_runs where owner = $1::text and idempotency_key = $2::text`,
      [owner, key],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async findChild(parentStepId: string, childAttempt: number, tx: Queryable): Promise<Run | null> {
    const { rows } = await tx.query<RunRow>(
      `select ${RUN_COLUMNS} from orchestration_runs
        where parent_step_id = $1::uuid and execution->>'childAttempt' = $2::text`,
      [parentStepId, String(childAttempt)],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async list(filter: RunListFilter): Promise<Run[]> {
    const { rows } = await this.db.query<RunRow>(
      `select ${RUN_COLUMNS} from orchestration_runs
        where ($1::text is null or status = $1::text)
          and ($2::text is null or definition_name = $2::text)
          and ($3::text is null or owner = $3::text)
          and ($4::timestamptz is null or (created_at, id) < ($4::timestamptz, $5::uuid))
          and ($7::uuid is null or submitted_by = $7::uuid)
          and ($8::text is null or (metadata ? 'contextId' and metadata->>'contextId' = $8::text))
          and ($9::timestamptz is null or created_at >= $9::timestamptz)
          and ($10::timestamptz is null or created_at < $10::timestamptz)
        order by created_at desc, id desc
        limit $6::int`,
      [
        filter.status ?? null,
        filter.definitionName ?? null,
        filter.owner ?? null,
        filter.before?.createdAt ?? null,
        filter.before?.id ?? null,
        filter.limit,
        filter.submittedBy ?? null,
        filter.contextId ?? null,
        filter.createdAfter ?? null,
        filter.createdBefore ?? null,
      ],
    );
    return rows.map(toRun);
  }

  /** `RUN_MOVES.start` (pending → running) for the runs whose first step was just claimed. */
  async markStarted(runIds: string[], tx: Queryable): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(
      `update orchestration_runs set status = $3::text, started_at = now(), updated_at = now()
        where id = any($1::uuid[]) and status = any($2::text[]) returning id`,
      [runIds, RUN_MOVES.start.from, RUN_MOVES.start.to],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Performs a named move of `RUN_MOVES`: the guard is the move's `from` list, derived from the
   * transition table. Null when the run was in none of them (a lost race, not an error). The
   * CTE reads the status being left, for the event's `from`.
   */
  async transition(
    runId: string,
    move: RunMove,
    tx: Queryable,
    fields: { output?: unknown; error?: StepError | null; stepsDone?: number | 'all'; compensation?: 'completed' | 'partial' } = {},
  ): Promise<RunTransition | null> {
    const { rows } = await tx.query<RunRow & { from_status: RunStatus }>(
      `with prev as (
         select id as prev_id, status as from_status from orchestration_runs
          where id = $1::uuid and status = any($2::text[]) for update
       )
       update orchestration_runs
          set status = $3::text,
              output = case when $4::boolean then $5::jsonb else output end,
              error = case when $6::boolean then $7::jsonb else error end,
              steps_done = case when $10::boolean then steps_total else coalesce($8::int, steps_done) end,
              finished_at = case when $9::boolean then now() else null end,
              started_at = coalesce(started_at, case when $3::text = 'running' then now() end),
              compensation = coalesce($11::text, compensation),
              updated_at = now()
         from prev
        where id = prev.prev_id
        returning ${RUN_COLUMNS}, prev.from_status`,
      [
        runId,
        move.from,
        move.to,
        'output' in fields,
        json(fields.output),
        'error' in fields,
        json(fields.error),
        typeof fields.stepsDone === 'number' ? fields.stepsDone : null,
        isTerminalRun(move.to),
        fields.stepsDone === 'all',
        fields.compensation ?? null,
      ],
    );
    const row = rows[0];
    return row ? { run: toRun(row), from: row.from_status } : null;
  }

  /** Which of `ids` are not finished yet, oldest first (a workflow's running executions). */
  async openAmong(ids: string[], tx: Queryable = this.db): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await tx.query<{ id: string }>(
      `select id from orchestration_runs where id = any($1::uuid[]) and status = any($2::text[]) order by created_at, id`,
      [ids, OPEN_RUN_STATUSES],
    );
    return rows.map((row) => row.id);
  }

  /** The run and every descendant run that is not finished yet (for cancel cascades). */
  async openDescendants(runId: string, tx: Queryable): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(
      `with recursive tree(id) as (
         select id from orchestration_runs where parent_run_id = $1::uuid
         union all
         select r.id from orchestration_runs r join tree t on r.parent_run_id = t.id
       )
       select r.id from orchestration_runs r join tree t on t.id = r.id
        where r.status = any($2::text[])`,
      [runId, OPEN_RUN_STATUSES],
    );
    return rows.map((row) => row.id);
  }
}
