import type { Run, RunWithSteps, Step, StepIteration } from '../domain/run.types.js';
import type { PatternTurn } from '../domain/turn-status.js';

/** The JSON shapes of runs and steps in API responses. */
export function presentRun(run: Run): Record<string, unknown> {
  return {
    id: run.id,
    status: run.status,
    definition: { id: run.definitionId, name: run.definitionName, version: run.definitionVersion },
    owner: run.owner,
    input: run.input,
    output: run.output,
    error: run.error,
    metadata: run.metadata,
    execution: run.execution,
    parentRunId: run.parentRunId,
    parentStepId: run.parentStepId,
    idempotencyKey: run.idempotencyKey,
    progress: {
      done: run.stepsDone,
      total: run.stepsTotal,
      percent: run.stepsTotal === 0 ? 100 : Math.floor((run.stepsDone / run.stepsTotal) * 100),
    },
    deadline_at: run.deadlineAt,
    // Waiting for admission (MAX_CONCURRENT_WORKFLOWS): 1 is next; null once admitted.
    queue_position: run.queuePosition ?? null,
    compensation: run.compensation,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    updatedAt: run.updatedAt,
  };
}

export function presentStep(step: Step, iterations?: StepIteration[]): Record<string, unknown> {
  const presented: Record<string, unknown> = {
    id: step.key,
    stepId: step.id,
    type: step.type,
    agent: step.agent,
    capability: step.capability,
    served_by: step.servedBy,
    status: step.status,
    wait_reason: step.status === 'waiting' ? step.waitReason : null,
    dependsOn: step.dependsOn,
    attempt: step.attempt,
    maxAttempts: step.maxAttempts,
    input: step.input,
    output: step.output,
    error: step.error,
    cache: { hit: step.cacheHit, hits: step.cacheHits, key: step.cacheKey, storedAt: step.cacheStoredAt },
    childRunId: step.childRunId,
    usage: step.usage ?? null,
    lease: step.status === 'running' ? { owner: step.leaseOwner, expiresAt: step.leaseExpiresAt } : null,
    queuedAt: step.queuedAt,
    startedAt: step.startedAt,
    finishedAt: step.finishedAt,
    ...(step.type === 'pattern' && { pattern: step.pattern ?? null, turns: (step.turns ?? []).map(presentTurn) }),
  };
  if (step.skipReason) presented.skip_reason = step.skipReason;
  if (step.iteration !== null) {
    presented.iteration = step.iteration;
    presented.iterations = presentIterations(step, iterations ?? []);
  }
  return presented;
}

/** A pattern turn as CONTRACTS.md and the dashboard read it (snake_case, like the issue). */
function presentTurn(turn: PatternTurn): Record<string, unknown> {
  return {
    turn: turn.turn,
    agent: turn.agent,
    status: turn.status,
    attempt: turn.attempt,
    cache_hit: turn.cacheHit,
    input: turn.input,
    output: turn.output,
    error: turn.error,
    started_at: turn.startedAt,
    finished_at: turn.finishedAt,
  };
}

/**
 * A looping step's iterations in order: the finished ones as recorded, then the current one
 * (from the step row) while it has not finished.
 */
function presentIterations(step: Step, finished: StepIteration[]): Array<Record<string, unknown>> {
  const list: Array<Record<string, unknown>> = finished.map((it) => ({
    iteration: it.iteration,
    status: it.status,
    input: it.input,
    output: it.output,
    error: it.error,
    started_at: it.startedAt,
    finished_at: it.finishedAt,
  }));
  const current = step.iteration!;
  const unfinished = !['pending', 'completed', 'skipped'].includes(step.status);
  if (unfinished && !finished.some((it) => it.iteration === current)) {
    list.push({ iteration: current, status: step.status, input: null, output: null, error: step.error, started_at: null, finished_at: null });
  }
  return list;
}

/** With the steps, the progress summary also names the steps in hand (running or waiting). */
export function presentRunWithSteps(run: RunWithSteps): Record<string, unknown> {
  const base = presentRun(run);
  const current = run.steps.filter((s) => s.status === 'running' || s.status === 'waiting').map((s) => s.key);
  return { ...base, progress: { ...(base.progress as object), current }, budget: run.budget ?? null, steps: run.steps.map((step) => presentStep(step, run.iterations?.get(step.key))) };
}
