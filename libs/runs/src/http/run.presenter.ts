import type { Run, RunWithSteps, Step } from '../domain/run.types.js';

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
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    updatedAt: run.updatedAt,
  };
}

export function presentStep(step: Step): Record<string, unknown> {
  return {
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
    lease: step.status === 'running' ? { owner: step.leaseOwner, expiresAt: step.leaseExpiresAt } : null,
    queuedAt: step.queuedAt,
    startedAt: step.startedAt,
    finishedAt: step.finishedAt,
  };
}

/** With the steps, the progress summary also names the steps in hand (running or waiting). */
export function presentRunWithSteps(run: RunWithSteps): Record<string, unknown> {
  const base = presentRun(run);
  const current = run.steps.filter((s) => s.status === 'running' || s.status === 'waiting').map((s) => s.key);
  return { ...base, progress: { ...(base.progress as object), current }, steps: run.steps.map(presentStep) };
}
