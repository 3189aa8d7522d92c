import { Inject, Injectable, Optional } from '@nestjs/common';
import { BatonError, WriteGate } from '@baton/common';
import { Database } from '@baton/db';
import { EventLogService } from '@baton/events';
import { assertMayControlRun, type RunActor } from '../domain/run-actor.js';
import type { Run } from '../domain/run.types.js';
import { isTerminalRun, RUN_MOVES } from '../domain/run-status.js';
import { RunRepository } from '../repositories/run.repository.js';
import { StepRepository } from '../repositories/step.repository.js';
import { RunLifecycleService, runEventData } from './run-lifecycle.service.js';
import { RunBudgetService } from './run-budget.service.js';
import { RunCompensationService } from './run-compensation.service.js';

/**
 * Operator actions on a run: cancel, pause, resume, retry a failed step. Each takes the actor
 * and checks it first (see `run-actor.ts`): whatever the door, only `runs.control` or the
 * run's submitter may steer it.
 */
@Injectable()
export class RunControlService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(RunBudgetService) private readonly budgets: RunBudgetService,
    @Inject(RunCompensationService) private readonly compensations: RunCompensationService,
    // Issue 16 hook (ops): a degraded (read-only) hub refuses these whatever the door (A2A, MCP).
    @Optional() @Inject(WriteGate) private readonly writes?: WriteGate,
  ) {}

  /**
   * Cancels the run, its open steps and its child runs; in-flight agent calls are aborted.
   * With `compensate`, its completed steps that declare `compensate` are rolled back first
   * (the run shows `compensating`, then ends `cancelled`).
   */
  async cancel(runId: string, actor: RunActor, reason = 'cancelled by request', compensate = false): Promise<Run> {
    this.writes?.assertWritable();
    await this.authorize(runId, actor);
    const run = await this.db.transaction((tx) =>
      this.lifecycle.finishRun(tx, runId, 'cancelled', { error: { message: reason, code: 'cancelled' }, compensate }),
    );
    if (run) return run;
    throw await this.refusal(runId, 'cancel');
  }

  async pause(runId: string, actor: RunActor): Promise<Run> {
    this.writes?.assertWritable();
    await this.authorize(runId, actor);
    const run = await this.db.transaction(async (tx) => {
      const paused = await this.runs.transition(runId, RUN_MOVES.pause, tx);
      if (!paused) return null;
      await this.events.append(tx, [{ runId, type: 'run.paused', data: runEventData(paused.run, paused.from) }]);
      return paused.run;
    });
    if (run) return run;
    throw await this.refusal(runId, 'pause');
  }

  async resume(runId: string, actor: RunActor): Promise<Run> {
    this.writes?.assertWritable();
    await this.authorize(runId, actor);
    const run = await this.db.transaction(async (tx) => {
      const resumed = await this.runs.transition(runId, RUN_MOVES.resume, tx);
      if (!resumed) return null;
      await this.events.append(tx, [{ runId, type: 'run.resumed', data: runEventData(resumed.run, resumed.from) }]);
      // A tree its budget paused resumes whole, once the budget was raised (409 otherwise).
      await this.budgets.resumeTree(tx, runId);
      await this.lifecycle.signalWork(tx);
      return resumed.run;
    });
    if (run) return run;
    throw await this.refusal(runId, 'resume');
  }

  /**
   * Re-runs a failed step: the run re-opens, the step is queued again with a fresh attempt
   * budget, and the steps its failure cancelled go back to pending or queued.
   */
  async retryStep(runId: string, stepKey: string, actor: RunActor): Promise<Run> {
    this.writes?.assertWritable();
    await this.authorize(runId, actor);
    return this.db.transaction(async (tx) => {
      const step = await this.steps.findByKey(runId, stepKey, tx);
      if (!step) throw BatonError.notFound('step', `${runId}/${stepKey}`);
      if (step.status !== 'failed') {
        throw new BatonError('invalid_state', `step ${stepKey} is ${step.status}; only a failed step can be retried`);
      }
      const current = await this.runs.findById(runId, tx);
      if (!current || current.status !== 'failed') {
        throw new BatonError('invalid_state', `run ${runId} is ${current?.status}; only a failed run's steps can be retried`);
      }
      const { reopened, stepsDone } = await this.steps.reopen(runId, tx);
      const moved = await this.runs.transition(runId, RUN_MOVES.reopen, tx, { error: null, output: null, stepsDone });
      if (!moved) throw new BatonError('invalid_state', `run ${runId} changed while retrying; try again`);
      await this.events.append(tx, [{ runId, type: 'run.retried', data: { stepKey, reopened, from: moved.from, to: moved.run.status } }]);
      await this.lifecycle.signalWork(tx);
      return moved.run;
    });
  }

  /** Rolls back a failed run by hand (saga compensation); 409 when there is nothing to roll back. */
  async compensate(runId: string, actor: RunActor): Promise<Run> {
    this.writes?.assertWritable();
    await this.authorize(runId, actor);
    if (!(await this.runs.findById(runId))) throw BatonError.notFound('run', runId);
    return this.compensations.compensate(runId);
  }

  /** 404 for an unknown run; 403 unless the actor may steer it. */
  private async authorize(runId: string, actor: RunActor): Promise<void> {
    if ('anonymous' in actor || actor.controlsAnyRun) return;
    const run = await this.runs.findById(runId);
    if (!run) throw BatonError.notFound('run', runId);
    assertMayControlRun(run, actor);
  }

  private async refusal(runId: string, action: string): Promise<BatonError> {
    const run = await this.runs.findById(runId);
    if (!run) return BatonError.notFound('run', runId);
    const state = isTerminalRun(run.status) ? `already ${run.status}` : run.status;
    const allowed = RUN_MOVES[action === 'resume' ? 'resume' : action === 'pause' ? 'pause' : 'cancel'].from;
    return new BatonError('invalid_state', `cannot ${action} run ${runId}: it is ${state} (allowed from ${allowed.join(', ')})`);
  }
}
