import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from '@baton/db';
import { OrchestrationDefinitionService, stepSpecOf, type StepSpec } from '@baton/definitions';
import type { Run } from '../domain/run.types.js';
import { RUN_MOVES } from '../domain/run-status.js';
import type { NewCompensation } from '../repositories/compensation.repository.js';
import { RunRepository } from '../repositories/run.repository.js';
import { StepRepository } from '../repositories/step.repository.js';

/** Whether a run ending now rolls back: see `CompensationPlanner.plan`. */
export type CompensateRequest = boolean | 'as_configured' | undefined;

/** The compensations a run ending now owes: empty when it rolls nothing back. */
export interface CompensationPlan {
  run: Run;
  compensations: NewCompensation[];
}

/**
 * Decides whether a run that is failing (or being cancelled) rolls back, and what: the
 * completed steps that declare `compensate`, each told which other compensations must finish
 * before it starts (those of the steps that depended on it, directly or not).
 */
@Injectable()
export class CompensationPlanner {
  constructor(
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
  ) {}

  /**
   * `requested`: true (cancel or compensate by hand), false (never), undefined (the run's
   * `rollback.on_failure` decides for a failure), `as_configured` (it decides for a cancel
   * too: a run cancelled at its deadline). Null when nothing is to be rolled back.
   */
  async plan(tx: Transaction, runId: string, to: 'failed' | 'cancelled', requested: CompensateRequest, statuses: readonly string[] = RUN_MOVES.compensate.from): Promise<CompensationPlan | null> {
    if (requested === false) return null;
    const run = await this.runs.findById(runId, tx);
    if (!run || !statuses.includes(run.status)) return null;
    const configured = rollbackOnFailure(run.execution.rollback) === 'compensate';
    const wanted = requested === true || ((requested === 'as_configured' || to === 'failed') && configured);
    if (!wanted) return null;
    const definition = await this.definitions.getById(run.definitionId);
    if (!definition.steps.some((s) => s.compensate)) return null;
    const completed = (await this.steps.listByRun(runId, tx)).filter((s) => s.status === 'completed');
    const due = completed.filter((s) => stepSpecOf(definition, s.key)?.compensate);
    if (due.length === 0) return null;
    const dueKeys = new Set(due.map((s) => s.key));
    const dependents = transitiveDependents(definition.steps);
    const outputs = Object.fromEntries(completed.map((s) => [s.key, { output: s.output, status: s.status }]));
    const compensations = due.map((step) => ({
      stepId: step.id,
      stepKey: step.key,
      afterKeys: [...(dependents.get(step.key) ?? [])].filter((key) => dueKeys.has(key)),
      spec: stepSpecOf(definition, step.key)!.compensate!,
      context: { input: run.input, steps: outputs, step: { input: step.input, output: step.output } },
    }));
    return { run, compensations };
  }
}

/** `rollback.timeout_seconds` when the run's settings carry one. */
export function rollbackTimeoutSeconds(rollback: unknown): number | undefined {
  if (rollback === null || typeof rollback !== 'object') return undefined;
  const value = (rollback as { timeoutSeconds?: unknown }).timeoutSeconds;
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/** `rollback.on_failure` when the run's settings carry one (older runs kept free-form hints). */
export function rollbackOnFailure(rollback: unknown): string | undefined {
  if (rollback === null || typeof rollback !== 'object') return undefined;
  const value = (rollback as { onFailure?: unknown }).onFailure;
  return typeof value === 'string' ? value : undefined;
}

/** For each step, every step downstream of it. Specs come in topological order. */
export function transitiveDependents(steps: readonly Pick<StepSpec, 'id' | 'dependsOn'>[]): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>(steps.map((s) => [s.id, new Set<string>()]));
  // Walk sinks first: a step's downstream set is its direct dependents and theirs.
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    for (const dep of step.dependsOn) {
      const set = result.get(dep);
      if (!set) continue;
      set.add(step.id);
      for (const key of result.get(step.id) ?? []) set.add(key);
    }
  }
  return result;
}
