import { Inject, Injectable } from '@nestjs/common';
import type { Queryable } from '@baton/db';
import { BatonError, decodeKeysetCursor, encodeKeysetCursor } from '@baton/common';
import { OrchestrationDefinitionService, stepSpecOf } from '@baton/definitions';
import type { Run, RunBudgetView, RunWithSteps, Step } from '../domain/run.types.js';
import type { BudgetState } from '../domain/budget.js';
import { PatternTurnRepository } from '../repositories/pattern-turn.repository.js';
import { RUN_STATUSES, type RunStatus } from '../domain/run-status.js';
import { RunLimitsRepository } from '../repositories/run-limits.repository.js';
import { RunRepository } from '../repositories/run.repository.js';
import { StepIterationRepository } from '../repositories/step-iteration.repository.js';
import { StepRepository, type UpstreamStep } from '../repositories/step.repository.js';
import { RunBudgetService } from './run-budget.service.js';

export interface RunPage {
  runs: Run[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Reads of runs and steps. */
@Injectable()
export class RunQueryService {
  constructor(
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(StepIterationRepository) private readonly iterations: StepIterationRepository,
    @Inject(PatternTurnRepository) private readonly turns: PatternTurnRepository,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    @Inject(RunLimitsRepository) private readonly limits: RunLimitsRepository,
  ) {}

  /** The run with its steps (each with its usage), its tree's budget, and its place in the admission queue while it waits there. */
  async get(id: string): Promise<RunWithSteps> {
    const run = await this.runs.findById(id);
    if (!run) throw BatonError.notFound('run', id);
    const [steps, usage, budget] = await Promise.all([this.steps.listByRun(id), this.budgets.usageByStep(id), this.budgets.stateOf(id)]);
    for (const step of steps) step.usage = usage.get(step.id) ?? null;
    // Only runs with a looping step pay for the read of iterations.
    const iterations = steps.some((step) => step.iteration !== null) ? await this.iterations.listByRun(id) : undefined;
    if (steps.some((s) => s.type === 'pattern')) await this.addTurns(run, steps);
    const queuePosition = run.admittedAt === null ? await this.limits.queuePosition(id) : null;
    return { ...run, queuePosition, steps, budget: budget ? budgetView(budget) : null, ...(iterations && { iterations }) };
  }

  /** Pattern steps show their pattern's name and their turns in order. */
  private async addTurns(run: Run, steps: Step[]): Promise<void> {
    const turns = await this.turns.listByRun(run.id);
    const definition = await this.definitions.getById(run.definitionId);
    for (const step of steps) {
      if (step.type !== 'pattern') continue;
      step.pattern = stepSpecOf(definition, step.key)?.pattern?.name ?? null;
      step.turns = turns.filter((t) => t.stepId === step.id);
    }
  }

  /** RUN_OWNERS for the event log's readers (streams, webhooks): each existing run's owner. */
  ownersOf(ids: string[]): Promise<Map<string, string>> {
    return this.runs.ownersOf(ids);
  }

  async getRun(id: string): Promise<Run> {
    const run = await this.runs.findById(id);
    if (!run) throw BatonError.notFound('run', id);
    return run;
  }

  /**
   * Which of these runs are not finished yet (not completed, failed or cancelled), oldest
   * first. Takes the caller's transaction so a count made under its lock sees what it sees.
   */
  openAmong(ids: string[], q?: Queryable): Promise<string[]> {
    return this.runs.openAmong(ids, q);
  }

  /** Whether a step is still open in `attempt` (a worker node's job for it is worth running). */
  isOpenAttempt(stepId: string, attempt: number): Promise<boolean> {
    return this.steps.isOpenAttempt(stepId, attempt);
  }

  /** Outputs, statuses (and iterations of loops) of named steps of a run: what a step's templates and conditions read. */
  upstreamOutputs(runId: string, keys: string[]): Promise<Map<string, UpstreamStep>> {
    return this.steps.outputs(runId, keys);
  }

  async list(filter: { status?: string; definition?: string; owner?: string; submittedBy?: string; contextId?: string; createdAfter?: string; createdBefore?: string; limit?: number; cursor?: string }): Promise<RunPage> {
    if (filter.status && !RUN_STATUSES.includes(filter.status as RunStatus)) {
      throw BatonError.validation([{ path: 'status', message: `must be one of ${RUN_STATUSES.join(', ')}` }]);
    }
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const runs = await this.runs.list({
      status: filter.status as RunStatus | undefined,
      definitionName: filter.definition,
      owner: filter.owner,
      submittedBy: filter.submittedBy,
      contextId: filter.contextId,
      createdAfter: filter.createdAfter,
      createdBefore: filter.createdBefore,
      limit: limit + 1,
      before: filter.cursor ? decodeKeysetCursor(filter.cursor) : undefined,
    });
    const page = runs.slice(0, limit);
    const last = page[page.length - 1];
    return { runs: page, nextCursor: runs.length > limit && last ? encodeKeysetCursor(last) : null };
  }
}

/** The budget as the API shows it: limits and spent under the names users write. */
export function budgetView(state: BudgetState): RunBudgetView {
  const { spent } = state;
  return {
    rootRunId: state.rootRunId,
    limits: state.limits as Record<string, number>,
    spent: { steps: spent.steps, turns: spent.turns, tokens: spent.tokens, cost: spent.cost, wall_seconds: Math.floor(spent.wallSeconds) },
    on_exceed: state.onExceed,
    warned: state.warned,
    exceeded: state.exceeded,
  };
}
