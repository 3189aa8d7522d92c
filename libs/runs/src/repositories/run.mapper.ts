import { readRunTraceContext } from '@baton/telemetry';
import type { Run, RunExecution, Step, StepError } from '../domain/run.types.js';
import type { RunStatus } from '../domain/run-status.js';
import type { StepStatus } from '../domain/step-status.js';

/** Column lists and row → domain mapping for the two tables this library owns. */
export const RUN_COLUMNS = `id, definition_id, definition_name, definition_version, owner, status, input, output,
  error, metadata, execution, max_parallel, idempotency_key, parent_run_id, parent_step_id, steps_total,
  steps_done, created_at, started_at, finished_at, updated_at, submitted_by, deadline_at, admitted_at, compensation,
  trace_context, submitted_by_person`;

export const STEP_COLUMNS = `id, run_id, step_key, position, type, agent, capability, served_by, wait_reason, status, depends_on, attempt, max_attempts,
  input, output, error, available_at, lease_owner, lease_expires_at, lease_recoveries, cache_key, cache_hit,
  cache_hits, cache_stored_at, child_run_id, created_at, queued_at, started_at, finished_at, skip_reason, iteration`;

/**
 * SQL for the finished iterations' outputs, in order, of the step row `alias` when it loops
 * (null when it does not): what a later step's templates read as `iterations`.
 */
export function iterationsOf(alias: string): string {
  return `case when ${alias}.iteration is null then null
               else coalesce((select jsonb_agg(i.output order by i.iteration) from orchestration_step_iterations i
                               where i.step_id = ${alias}.id and i.status = 'completed'), '[]'::jsonb) end`;
}

export interface RunRow {
  id: string;
  definition_id: string;
  definition_name: string;
  definition_version: string;
  owner: string;
  status: string;
  input: unknown;
  output: Record<string, unknown> | null;
  error: StepError | null;
  metadata: Record<string, unknown>;
  execution: RunExecution;
  max_parallel: number;
  idempotency_key: string | null;
  parent_run_id: string | null;
  parent_step_id: string | null;
  steps_total: number;
  steps_done: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
  submitted_by: string | null;
  submitted_by_person: string | null;
  deadline_at: Date | null;
  admitted_at: Date | null;
  compensation: 'completed' | 'partial' | null;
  trace_context: unknown;
}

export interface StepRow {
  id: string;
  run_id: string;
  step_key: string;
  position: number;
  type: string;
  agent: string | null;
  capability: string | null;
  served_by: string | null;
  wait_reason: string | null;
  status: string;
  depends_on: string[];
  attempt: number;
  max_attempts: number;
  input: unknown;
  output: unknown;
  error: StepError | null;
  available_at: Date;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  lease_recoveries: number;
  cache_key: string | null;
  cache_hit: boolean;
  cache_hits: number;
  cache_stored_at: Date | null;
  child_run_id: string | null;
  created_at: Date;
  queued_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  skip_reason: string | null;
  iteration: number | null;
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    definitionId: row.definition_id,
    definitionName: row.definition_name,
    definitionVersion: row.definition_version,
    owner: row.owner,
    status: row.status as RunStatus,
    input: row.input,
    output: row.output,
    error: row.error,
    metadata: row.metadata ?? {},
    execution: row.execution,
    maxParallel: row.max_parallel,
    idempotencyKey: row.idempotency_key,
    parentRunId: row.parent_run_id,
    parentStepId: row.parent_step_id,
    stepsTotal: row.steps_total,
    stepsDone: row.steps_done,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
    submittedBy: row.submitted_by ?? null,
    submittedByPerson: row.submitted_by_person ?? null,
    deadlineAt: row.deadline_at ? new Date(row.deadline_at) : null,
    admittedAt: row.admitted_at ? new Date(row.admitted_at) : null,
    compensation: row.compensation ?? null,
    traceContext: readRunTraceContext(row.trace_context),
  };
}

export function toStep(row: StepRow): Step {
  return {
    id: row.id,
    runId: row.run_id,
    key: row.step_key,
    position: row.position,
    type: row.type,
    agent: row.agent,
    capability: row.capability,
    servedBy: row.served_by,
    waitReason: row.wait_reason,
    status: row.status as StepStatus,
    dependsOn: row.depends_on ?? [],
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    input: row.input,
    output: row.output,
    error: row.error,
    availableAt: row.available_at,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    leaseRecoveries: row.lease_recoveries,
    cacheKey: row.cache_key,
    cacheHit: row.cache_hit,
    cacheHits: row.cache_hits,
    cacheStoredAt: row.cache_stored_at,
    childRunId: row.child_run_id,
    createdAt: row.created_at,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    skipReason: row.skip_reason ?? null,
    iteration: row.iteration ?? null,
  };
}

/** jsonb parameters go over the wire as text; `undefined` becomes SQL null. */
export function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
