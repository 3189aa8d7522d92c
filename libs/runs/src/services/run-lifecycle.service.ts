import { Inject, Injectable, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import type { Transaction } from '@baton/db';
import { EventLogService, type NewEvent, type RunTransitionData } from '@baton/events';
import { TelemetryService } from '@baton/telemetry';
import type { Run, StepError } from '../domain/run.types.js';
import { RUN_MOVES, type RunMove, type RunStatus } from '../domain/run-status.js';
import { CANCEL_CHANNEL, COMPENSATION_AVAILABLE_EVENT, COMPENSATION_CHANNEL, RUNS_CREATED_EVENT, RUNS_STOPPED_EVENT, WORK_AVAILABLE_EVENT, WORK_CHANNEL, type CreatedRun } from '../domain/work-signals.js';
import { BudgetRepository } from '../repositories/budget.repository.js';
import { CompensationRepository, type NewCompensation } from '../repositories/compensation.repository.js';
import { RunRepository, type RunTransition } from '../repositories/run.repository.js';
import { CompensationPlanner, rollbackTimeoutSeconds, type CompensateRequest } from './compensation-planner.service.js';
import { PatternTurnRepository } from '../repositories/pattern-turn.repository.js';
import { StepRepository, type FinishedStep, type RunSettlement } from '../repositories/step.repository.js';

/**
 * The transitions every path shares: what follows a step's terminal write, how a run ends,
 * and how the queue is woken. Used inside transactions opened by the services.
 */
@Injectable()
export class RunLifecycleService {
  constructor(
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(BudgetRepository) private readonly budgets: BudgetRepository,
    @Inject(PatternTurnRepository) private readonly turns: PatternTurnRepository,
    // Saga compensation (issue 12): whether a failing run rolls back, and its compensations.
    @Inject(CompensationPlanner) private readonly planner: CompensationPlanner,
    @Inject(CompensationRepository) private readonly compensations: CompensationRepository,
    @Optional() @Inject(TelemetryService) private readonly telemetry?: TelemetryService,
  ) {}

  /**
   * Wakes claimers here (after commit) and on other instances (NOTIFY is delivered on
   * commit). The payload names this instance, which ignores its own notification: the
   * in-process event already woke it. `createdRun`: the work is a run this transaction
   * created, which this instance's execution queue claims by a hand-off of its own (issue
   * 17: a run's first steps without a claim round); without a listener, a plain wake-up.
   */
  async signalWork(tx: Transaction, createdRun?: CreatedRun): Promise<void> {
    await tx.query(`select pg_notify($1::text, $2::text)`, [WORK_CHANNEL, this.config.instanceId]);
    tx.afterCommit(() => {
      if (!createdRun || !this.emitter.emit(RUNS_CREATED_EVENT, [createdRun])) this.emitter.emit(WORK_AVAILABLE_EVENT);
    });
  }

  /**
   * After a step completed or was skipped: release its dependents, count it done, and
   * complete the run when it was the last one.
   */
  async afterStepSucceeded(tx: Transaction, finished: FinishedStep): Promise<void> {
    await this.afterStepsSucceeded(tx, [finished]);
  }

  /**
   * The same for a batch: one counter update per run, one wake-up for all. With
   * `signal: false` the caller signals (the hand-off, issue 17, claims the successors first
   * and wakes the others only for what it left). Returns how many steps became queued and
   * how many runs ended. `pending`: events the caller has not appended yet (the hand-off
   * writes them with its own); should a run end here, they are appended (and the array
   * emptied) before its end's events, so the log keeps its order. `settled`: runs whose
   * dependents and counter the completing statement already did (issue 17).
   */
  async afterStepsSucceeded(
    tx: Transaction, finished: FinishedStep[], options: { signal?: boolean; pending?: NewEvent[]; settled?: ReadonlyMap<string, RunSettlement> } = {},
  ): Promise<{ queued: number; ended: number }> {
    let queued = 0;
    let ended = 0;
    // Per run, in the order given (completeAndHandOff sorts by run id): its finished steps'
    // dependents and its counter. Runs the completion statement did not settle
    // (StepRepository.completeMany's `settle`) are settled together, one statement.
    const perRun = new Map<string, { done: number; dependents: string[] }>();
    for (const step of finished) {
      const entry = perRun.get(step.runId) ?? { done: 0, dependents: [] };
      entry.done++;
      entry.dependents.push(...step.dependents);
      perRun.set(step.runId, entry);
    }
    const unsettled = [...perRun].filter(([runId]) => !options.settled?.has(runId)).map(([runId, entry]) => ({ runId, ...entry }));
    const settledHere = await this.steps.settleRuns(unsettled, tx);
    const counters: Array<[string, { stepsDone: number; stepsTotal: number } | null]> = [];
    for (const runId of perRun.keys()) {
      const settled = options.settled?.get(runId) ?? settledHere.get(runId)!;
      queued += settled.queued.length;
      counters.push([runId, settled.counter]);
    }
    if (queued > 0 && options.signal !== false) await this.signalWork(tx);
    for (const [runId, counter] of counters) {
      if (counter && counter.stepsDone >= counter.stepsTotal) {
        if (options.pending?.length) await this.events.append(tx, options.pending.splice(0));
        const output = await this.steps.sinkOutputs(runId, tx);
        await this.finishRun(tx, runId, 'completed', { output });
        ended++;
      }
    }
    return { queued, ended };
  }

  /**
   * Ends a run: open steps are cancelled, child runs are cancelled, the parent step (if
   * any) is woken to collect the result. Null when the run had already ended. A failing run
   * whose `rollback.on_failure` is `compensate` (or a cancel with `compensate: true`) first
   * rolls back: it becomes `compensating` and ends when its compensations have (`endRollback`).
   */
  async finishRun(
    tx: Transaction,
    runId: string,
    to: 'completed' | 'failed' | 'cancelled',
    fields: { output?: unknown; error?: StepError; compensate?: CompensateRequest } = {},
  ): Promise<Run | null> {
    const { compensate, ...written } = fields;
    if (to !== 'completed') {
      const plan = await this.planner.plan(tx, runId, to, compensate);
      if (plan) return this.startRollback(tx, runId, to, plan.compensations, written.error, RUN_MOVES.compensate);
    }
    const move = RUN_MOVES[to === 'completed' ? 'complete' : to === 'failed' ? 'fail' : 'cancel'];
    const moved = await this.runs.transition(runId, move, tx, { ...written, stepsDone: 'all' });
    if (!moved) return null;
    await this.stopWork(tx, moved, to, [{ runId, type: `run.${to}`, data: runEventData(moved.run, moved.from) }]);
    await this.afterEnded(tx, moved.run);
    return moved.run;
  }

  /**
   * The run becomes `compensating` (from `move`'s statuses), its open work stops as for a
   * failure, and the compensations are written for the compensation worker to claim.
   */
  async startRollback(
    tx: Transaction,
    runId: string,
    outcome: 'failed' | 'cancelled',
    compensations: NewCompensation[],
    error: StepError | undefined,
    move: RunMove,
  ): Promise<Run | null> {
    const moved = await this.runs.transition(runId, move, tx, { ...(error && { error }), stepsDone: 'all' });
    if (!moved) return null;
    const data = { ...runEventData(moved.run, moved.from), steps: compensations.map((c) => c.stepKey), outcome };
    await this.stopWork(tx, moved, outcome, [{ runId, type: 'run.compensating', data }]);
    const timeoutSeconds = rollbackTimeoutSeconds(moved.run.execution.rollback) ?? this.config.sagaCompensationTimeoutSeconds;
    await this.compensations.insertMany(runId, outcome, compensations, timeoutSeconds, tx);
    await tx.query(`select pg_notify($1::text, $2::text)`, [COMPENSATION_CHANNEL, this.config.instanceId]);
    tx.afterCommit(() => this.emitter.emit(COMPENSATION_AVAILABLE_EVENT));
    return moved.run;
  }

  /**
   * After a compensation finished for good: when it was the run's last open one, the run
   * ends as it was going to, with `compensation: completed | partial`. The run row is locked
   * first, so of two compensations finishing at once the second sees the first.
   */
  async endRollback(tx: Transaction, runId: string, outcome: 'failed' | 'cancelled'): Promise<Run | null> {
    await this.compensations.lockRun(runId, tx);
    const tally = await this.compensations.tally(runId, tx);
    if (tally.open > 0) return null;
    const compensation = tally.failed > 0 ? 'partial' : 'completed';
    const move = outcome === 'failed' ? RUN_MOVES.endCompensationFailed : RUN_MOVES.endCompensationCancelled;
    const moved = await this.runs.transition(runId, move, tx, { compensation });
    if (!moved) return null;
    await this.events.append(tx, [{ runId, type: `run.${outcome}`, data: { ...runEventData(moved.run, moved.from), compensation } }]);
    await this.afterEnded(tx, moved.run);
    return moved.run;
  }

  /** Open steps cancelled, pattern turns closed, child runs cancelled, in-flight calls aborted. */
  private async stopWork(tx: Transaction, moved: RunTransition, to: 'completed' | 'failed' | 'cancelled', runEvents: NewEvent[]): Promise<void> {
    const runId = moved.run.id;
    const cancelled = to === 'completed' ? [] : await this.steps.cancelOpen(runId, tx);
    // A pattern turn in flight can no longer be closed by its (cancelled) step: close it here.
    if (to !== 'completed') await this.turns.closeOpen(runId, { message: `run ${to}`, code: to === 'cancelled' ? 'cancelled' : 'run_failed' }, tx);
    const events: NewEvent[] = cancelled.map((step) => ({ runId, type: 'step.cancelled', stepKey: step.key, data: { from: step.from, to: 'cancelled' } }));
    events.push(...runEvents);
    await this.events.append(tx, events);
    if (to !== 'completed') {
      for (const childId of await this.runs.openDescendants(runId, tx)) {
        await this.finishRun(tx, childId, 'cancelled', { error: { message: `parent run ${to}`, code: 'parent_stopped' }, compensate: false });
      }
      await this.signalStopped(tx, [runId]);
    }
  }

  /** A run that ended for good: its span is emitted (after commit), its parent step collects the result. */
  private async afterEnded(tx: Transaction, run: Run): Promise<void> {
    if (this.telemetry?.enabled) tx.afterCommit(() => this.telemetry!.recordRun(run));
    if (!run.parentStepId) return;
    // A child run's unspent share of its tree's max_steps goes back to the tree (budgets).
    if (run.execution.rootRunId) await this.budgets.releaseHold(run.id, tx);
    const woken = await this.steps.wake(run.parentStepId, 'child_finished', tx);
    if (woken) await this.signalWork(tx);
  }

  /** Lets every instance abort in-flight steps of runs that ended. */
  private async signalStopped(tx: Transaction, runIds: string[]): Promise<void> {
    await tx.query(`select pg_notify($1::text, $2::text)`, [CANCEL_CHANNEL, runIds.join(',')]);
    tx.afterCommit(() => this.emitter.emit(RUNS_STOPPED_EVENT, runIds));
  }
}

/** What a run transition event carries; `from` and `to` are the statuses left and entered. */
export function runEventData(run: Run, from: RunStatus): RunTransitionData {
  const data: RunTransitionData = { status: run.status, from, to: run.status, definition: run.definitionName };
  if (run.finishedAt) data.durationMs = run.finishedAt.getTime() - run.createdAt.getTime();
  if (run.error) data.error = run.error;
  if (run.parentRunId) data.parentRunId = run.parentRunId;
  return data;
}
