import { Inject, Injectable } from '@nestjs/common';
import { Database, type Transaction } from '@baton/db';
import { EventLogService, type NewEvent } from '@baton/events';
import type { ClaimedStep, StepError } from '../domain/run.types.js';
import { StepIterationRepository } from '../repositories/step-iteration.repository.js';
import { StepRepository } from '../repositories/step.repository.js';
import { RunLifecycleService } from './run-lifecycle.service.js';

/** One finished iteration of a looping step, as the executor reports it. */
export interface IterationResult {
  input: unknown;
  output: unknown;
}

/**
 * What follows an iteration of a looping step: `next` queues the following iteration,
 * `complete` ends the step with this output, `fail` ends it with `error` (max iterations
 * reached with `on_max: fail`).
 */
export type IterationDecision = { next: true } | { complete: true } | { fail: StepError };

/**
 * Loops on steps. Each report is one transaction that records the finished iteration AND
 * queues the next one (or ends the step), fenced by the claim's token: after a crash the
 * step is either before the iteration's record (the iteration runs again, its agent call may
 * repeat) or after it (the next iteration is queued); never both, and no iteration is
 * recorded twice (one row per step and iteration).
 */
@Injectable()
export class StepIterationsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(StepIterationRepository) private readonly iterations: StepIterationRepository,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  /** False when the write was refused (lease lost, run ended, iteration already recorded). */
  async finishIteration(step: ClaimedStep, result: IterationResult, decision: IterationDecision): Promise<boolean> {
    const iteration = step.iteration ?? 1;
    return this.db.transaction(async (tx) => {
      const events: NewEvent[] = [];
      if ('next' in decision) {
        if (!(await this.iterations.advance(step.id, step.token, iteration, result.input, tx))) return false;
        events.push({ runId: step.runId, type: 'step.iteration_completed', stepKey: step.key, data: { iteration, next: iteration + 1, until: false } });
      } else {
        const status = 'complete' in decision ? 'completed' : 'failed';
        const error = 'fail' in decision ? decision.fail : null;
        const finished = await this.steps.finish(step.id, step.token, status, { input: result.input, output: status === 'completed' ? result.output : null, error }, tx);
        if (!finished) return false;
        events.push({ runId: step.runId, type: 'step.iteration_completed', stepKey: step.key, data: { iteration, until: 'complete' in decision } });
        events.push(
          error
            ? { runId: step.runId, type: 'step.failed', stepKey: step.key, data: { ...outcome(step), from: finished.from, to: 'failed', error } }
            : { runId: step.runId, type: 'step.completed', stepKey: step.key, data: { ...outcome(step), from: finished.from, to: 'completed', cacheHit: false } },
        );
        await this.record(tx, step, iteration, result);
        await this.events.append(tx, events);
        if (error) await this.lifecycle.finishRun(tx, step.runId, 'failed', { error: { ...error, stepKey: step.key } });
        else await this.lifecycle.afterStepSucceeded(tx, finished);
        return true;
      }
      await this.record(tx, step, iteration, result);
      await this.events.append(tx, events);
      await this.lifecycle.signalWork(tx);
      return true;
    });
  }

  private async record(tx: Transaction, step: ClaimedStep, iteration: number, result: IterationResult): Promise<void> {
    const row = { stepId: step.id, runId: step.runId, iteration, status: 'completed' as const, input: result.input, output: result.output, startedAt: new Date(step.claimedAt) };
    // Only after the fenced step write succeeded: a stale holder never gets here.
    await this.iterations.record(row, tx);
  }
}

function outcome(step: ClaimedStep): { attempt: number; agent: string | null; durationMs: number } {
  return { attempt: step.attempt, agent: step.agent, durationMs: Date.now() - step.claimedAt };
}
