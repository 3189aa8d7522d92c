import { Inject, Injectable } from '@nestjs/common';
import { Database, type Transaction } from '@baton/db';
import { EventLogService, type NewEvent } from '@baton/events';
import type { CacheOutcome, ClaimedStep, StepError } from '../domain/run.types.js';
import { RUN_MOVES } from '../domain/run-status.js';
import { RunRepository } from '../repositories/run.repository.js';
import { StepRepository, type FinishedStep } from '../repositories/step.repository.js';
import { RunLifecycleService } from './run-lifecycle.service.js';

/** One step's successful outcome, for `completeMany`. */
export interface Completion {
  step: ClaimedStep;
  output: unknown;
  input?: unknown;
  cache?: CacheOutcome;
}

/**
 * What the executor reports about a step it holds. Each call is one transaction; each
 * returns false when the write was refused because the lease is no longer this caller's
 * (it expired and the step was re-claimed, or the run was cancelled): a stale writer never
 * completes a step twice.
 */
@Injectable()
export class StepTransitionsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  async complete(step: ClaimedStep, output: unknown, fields: { input?: unknown; cache?: CacheOutcome } = {}): Promise<boolean> {
    const [done] = await this.completeMany([{ step, output, ...fields }]);
    return done!;
  }

  /**
   * Completes several steps in one transaction (one commit instead of one per step). Runs
   * are handled in id order so that concurrent batches lock run rows in the same order.
   * Returns, per item, whether its write was accepted.
   */
  async completeMany(items: Completion[]): Promise<boolean[]> {
    const order = items.map((item, index) => ({ item, index })).sort((a, b) => a.item.step.runId.localeCompare(b.item.step.runId));
    return this.db.transaction(async (tx) => {
      const accepted = new Array<boolean>(items.length).fill(false);
      const finished: FinishedStep[] = [];
      const events: NewEvent[] = [];
      for (const { item, index } of order) {
        const { step, output, input, cache } = item;
        const done = await this.steps.finish(step.id, step.token, 'completed', { input, cache, output }, tx);
        if (!done) continue;
        accepted[index] = true;
        finished.push(done);
        if (cache?.hit) events.push({ runId: step.runId, type: 'step.cache_hit', stepKey: step.key, data: { cacheKey: cache.key } });
        events.push({ runId: step.runId, type: 'step.completed', stepKey: step.key, data: { ...stepEventData(step), from: done.from, to: 'completed', cacheHit: cache?.hit ?? false } });
      }
      await this.events.append(tx, events);
      await this.lifecycle.afterStepsSucceeded(tx, finished);
      return accepted;
    });
  }

  /** A failed attempt that will be tried again after `delayMs`. */
  async retryLater(step: ClaimedStep, error: StepError, delayMs: number, input?: unknown): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const requeued = await this.steps.requeueForRetry(step.id, step.token, delayMs, { error, input }, tx);
      if (!requeued) return false;
      await this.events.append(tx, [
        { runId: step.runId, type: 'step.retrying', stepKey: step.key, data: { ...stepEventData(step), from: 'running', to: 'queued', delayMs, error } },
      ]);
      await this.lifecycle.signalWork(tx);
      return true;
    });
  }

  /** The step gave up but `allow_skip` lets the run carry on; dependents see a null output. */
  async skip(step: ClaimedStep, error: StepError, input?: unknown): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const finished = await this.steps.finish(step.id, step.token, 'skipped', { input, error }, tx);
      if (!finished) return false;
      await this.events.append(tx, [{ runId: step.runId, type: 'step.skipped', stepKey: step.key, data: { ...stepEventData(step), from: finished.from, to: 'skipped', error } }]);
      await this.lifecycle.afterStepSucceeded(tx, finished);
      return true;
    });
  }

  /**
   * Its `when` was false, or every dependency was skipped by a condition (`propagated`): the
   * step ends skipped with `skip_reason: condition` and no error, and its run carries on.
   */
  async skipByCondition(step: ClaimedStep, detail: { condition?: string; propagated: boolean }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const finished = await this.steps.finish(step.id, step.token, 'skipped', { skipReason: 'condition' }, tx);
      if (!finished) return false;
      const data = { ...stepEventData(step), from: finished.from, to: 'skipped', reason: 'condition' as const, propagated: detail.propagated };
      await this.events.append(tx, [{ runId: step.runId, type: 'step.skipped', stepKey: step.key, data: detail.condition ? { ...data, condition: detail.condition } : data }]);
      await this.lifecycle.afterStepSucceeded(tx, finished);
      return true;
    });
  }

  /** The step failed for good: its run fails with this error and everything open is cancelled. */
  async fail(step: ClaimedStep, error: StepError, input?: unknown): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const finished = await this.steps.finish(step.id, step.token, 'failed', { input, error }, tx);
      if (!finished) return false;
      await this.events.append(tx, [
        { runId: step.runId, type: 'step.failed', stepKey: step.key, data: { ...stepEventData(step), from: finished.from, to: 'failed', error } },
      ]);
      await this.lifecycle.finishRun(tx, step.runId, 'failed', { error: { ...error, stepKey: step.key } });
      return true;
    });
  }

  /**
   * The step waits for a person (checkpoint or notify_human) and gives its slot back; the
   * run shows as waiting. Runs inside the caller's transaction when one is given, so the
   * approval row and the wait commit together.
   */
  async waitForApproval(step: ClaimedStep, data: Record<string, unknown>, tx?: Transaction): Promise<boolean> {
    const park = async (t: Transaction): Promise<boolean> => {
      if (!(await this.steps.markWaiting(step.id, step.token, null, t))) return false;
      const events: NewEvent[] = [
        { runId: step.runId, type: 'step.waiting', stepKey: step.key, data: { reason: 'approval', ...data, from: 'running', to: 'waiting' } },
      ];
      const run = await this.runs.transition(step.runId, RUN_MOVES.wait, t);
      if (run) events.push({ runId: step.runId, type: 'run.waiting', data: { stepKey: step.key, from: run.from, to: run.run.status } });
      await this.events.append(t, events);
      return true;
    };
    return tx ? park(tx) : this.db.transaction(park);
  }

  /**
   * The step waits for an event (`type: wait`) and gives its slot back, in the caller's
   * transaction: the wait row and the park commit together (issue 14).
   */
  async waitForEvent(step: ClaimedStep, data: Record<string, unknown>, tx: Transaction): Promise<boolean> {
    if (!(await this.steps.markWaiting(step.id, step.token, null, tx))) return false;
    const events: NewEvent[] = [
      { runId: step.runId, type: 'step.waiting', stepKey: step.key, data: { reason: 'event', ...data, from: 'running', to: 'waiting' } },
    ];
    const run = await this.runs.transition(step.runId, RUN_MOVES.wait, tx);
    if (run) events.push({ runId: step.runId, type: 'run.waiting', data: { stepKey: step.key, from: run.from, to: run.run.status } });
    await this.events.append(tx, events);
    return true;
  }

  /**
   * The step's worker jobs are with the nodes: it waits without a slot or a lease, and the
   * run stays `running` (nobody has to act). Runs in the caller's transaction, which holds
   * the jobs open (libs/nodes `parkUnlessFinished`), so no completion slips in between.
   */
  async parkForWorker(step: ClaimedStep, data: { jobIds: string[] }, tx: Transaction): Promise<boolean> {
    if (!(await this.steps.markWaiting(step.id, step.token, null, tx, 'worker'))) return false;
    await this.events.append(tx, [
      { runId: step.runId, type: 'step.waiting', stepKey: step.key, data: { reason: 'worker', jobIds: data.jobIds, from: 'running', to: 'waiting' } },
    ]);
    return true;
  }

  /**
   * Wakes a step that waited for an event, inside the transaction that stored the event (or
   * timed the wait out): the next claim continues the attempt and reads the wait's outcome.
   * False when the step is not waiting (never parked yet, or its run ended meanwhile).
   */
  async wakeAfterEvent(tx: Transaction, runId: string, stepKey: string, reason: 'event_matched' | 'event_timed_out'): Promise<boolean> {
    const woken = await this.steps.wakeByKey(runId, stepKey, reason, tx);
    if (!woken) return false;
    if ((await this.steps.countApprovalWaits(runId, tx)) === 0) {
      const run = await this.runs.transition(runId, RUN_MOVES.resumeDecided, tx);
      if (run) await this.events.append(tx, [{ runId, type: 'run.resumed', data: { reason, from: run.from, to: run.run.status } }]);
    }
    await this.lifecycle.signalWork(tx);
    return true;
  }

  /**
   * A worker job of the step finished: if the step is parked, it goes back to the queue to
   * read the outcome, continuing its attempt. In the transaction that finished the job, so
   * the wake is exactly as durable as the result; `pg_notify` reaches every instance.
   * False when the step is not parked (still running its dispatch, or ended).
   */
  async wakeForWorker(tx: Transaction, stepId: string): Promise<boolean> {
    const woken = await this.steps.wake(stepId, 'worker_job', tx);
    if (!woken) return false;
    await this.lifecycle.signalWork(tx);
    return true;
  }

  /**
   * Wakes a step that waited for a decision. `freshAttempt` re-runs it as a new attempt
   * (an approved notify_human); otherwise the next claim continues the attempt and reads the
   * decision. The run goes back to running unless another step still waits for a person.
   * False when the step is no longer waiting (its run ended meanwhile).
   */
  async resumeAfterDecision(tx: Transaction, stepId: string, freshAttempt: boolean): Promise<boolean> {
    const woken = await this.steps.wake(stepId, freshAttempt ? null : 'approval_decided', tx);
    if (!woken) return false;
    if ((await this.steps.countApprovalWaits(woken.runId, tx)) === 0) {
      const run = await this.runs.transition(woken.runId, RUN_MOVES.resumeDecided, tx);
      if (run) await this.events.append(tx, [{ runId: woken.runId, type: 'run.resumed', data: { reason: 'decided', from: run.from, to: run.run.status } }]);
    }
    await this.lifecycle.signalWork(tx);
    return true;
  }
}

/** What every step outcome event carries: enough for metrics and dashboards without a read. */
function stepEventData(step: ClaimedStep): Record<string, unknown> {
  return { attempt: step.attempt, agent: step.agent, servedBy: step.servedBy, durationMs: Date.now() - step.claimedAt };
}
