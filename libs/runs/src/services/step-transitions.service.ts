import { Inject, Injectable } from '@nestjs/common';
import { Database, type Transaction } from '@baton/db';
import { EventLogService, type NewEvent } from '@baton/events';
import type { CacheOutcome, ClaimedStep, StepError } from '../domain/run.types.js';
import { RUN_MOVES } from '../domain/run-status.js';
import { GLOBAL_CLAIM_LOCK_KEY } from '../repositories/claim-locks.repository.js';
import { RunRepository } from '../repositories/run.repository.js';
import { StepRepository, type FinishedStep } from '../repositories/step.repository.js';
import { RunLifecycleService } from './run-lifecycle.service.js';
import { StepLeaseService, type ClaimLimits } from './step-lease.service.js';

/** One step's successful outcome, for `completeMany`. */
export interface Completion {
  step: ClaimedStep;
  output: unknown;
  input?: unknown;
  cache?: CacheOutcome;
}

/** Who claims the successors in a completing transaction (issue 17), and under which limits. */
export interface HandoffRequest {
  owner: string;
  leaseSeconds: number;
  limits: ClaimLimits;
}

/** What `completeAndHandOff` did. */
export interface CompletionResult {
  /** Per item: whether its write was accepted. */
  accepted: boolean[];
  /** Steps claimed for the caller in the same transaction, to run now. */
  claimed: ClaimedStep[];
  /**
   * True when no wake-up is owed for the accepted steps: the hand-off left no due step of
   * their runs unclaimed, ended no run, and took at least as many slots of each agent as the
   * finished steps gave back, so no claim could find more than before they finished.
   */
  settled: boolean;
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
    @Inject(StepLeaseService) private readonly leases: StepLeaseService,
  ) {}

  async complete(step: ClaimedStep, output: unknown, fields: { input?: unknown; cache?: CacheOutcome } = {}): Promise<boolean> {
    const [done] = await this.completeMany([{ step, output, ...fields }]);
    return done!;
  }

  /**
   * Completes several steps in one transaction (one commit instead of one per step) and one
   * statement for all their rows (issue 17). Runs are handled in id order so that concurrent
   * batches lock run rows in the same order. Returns, per item, whether its write was accepted.
   */
  async completeMany(items: Completion[]): Promise<boolean[]> {
    return (await this.completeAndHandOff(items, null)).accepted;
  }

  /**
   * `completeMany`, and in the same transaction (one commit, no wake-up and no claim
   * transaction in between) the hand-off (issue 17): the due steps of the completed steps'
   * runs, their successors first of all, are claimed for `handoff.owner` as a claim would
   * (StepLeaseService.handOff). Other instances are signalled only for what it left.
   */
  async completeAndHandOff(items: Completion[], handoff: HandoffRequest | null): Promise<CompletionResult> {
    return this.db.transaction(async (tx) => {
      // One run's batch (a chain's step, most often): its dependents and counter in the same
      // statement, and with a hand-off its locks too (the hand-off then skips its try-locks;
      // should it not run, because the run ended, they only last until this commit).
      const single = items.length > 0 && items.every((item) => item.step.runId === items[0]!.step.runId) ? items[0]!.step.runId : undefined;
      const { finished: done, settled } = await this.steps.completeMany(
        items.map(({ step, output, input, cache }) => ({ id: step.id, token: step.token, output, input, cache })),
        tx,
        single ? { runId: single, ...(handoff && { handOffLock: GLOBAL_CLAIM_LOCK_KEY }) } : undefined,
      );
      const settledRuns = single && settled ? new Map([[single, settled]]) : undefined;
      const order = items.map((item, index) => ({ item, index })).sort((a, b) => a.item.step.runId.localeCompare(b.item.step.runId));
      const finished: FinishedStep[] = [];
      const events: NewEvent[] = [];
      for (const { item, index } of order) {
        const { step, cache } = item;
        const row = done[index];
        if (!row) continue;
        finished.push(row);
        if (cache?.hit) events.push({ runId: step.runId, type: 'step.cache_hit', stepKey: step.key, data: { cacheKey: cache.key } });
        events.push({ runId: step.runId, type: 'step.completed', stepKey: step.key, data: { ...stepEventData(step), from: row.from, to: 'completed', cacheHit: cache?.hit ?? false } });
      }
      const accepted = done.map((row) => row !== null);
      // The completion's events wait to go out with the hand-off's (one append a batch); a
      // run that ends writes them before its end (`pending`). Both paths take the run rows
      // (the counters) before the event streams' rows, so two batches of one run, with and
      // without a hand-off, lock in the same order.
      if (!handoff || finished.length === 0) {
        await this.lifecycle.afterStepsSucceeded(tx, finished, { pending: events, settled: settledRuns });
        await this.events.append(tx, events);
        return { accepted, claimed: [], settled: false };
      }
      const { queued, ended } = await this.lifecycle.afterStepsSucceeded(tx, finished, { signal: false, pending: events, settled: settledRuns });
      if (ended > 0) {
        // An ended run wrote to its parent's rows, which a claim of the parent's steps may
        // want while holding locks the hand-off would wait for: no hand-off, wake as before.
        await this.events.append(tx, events);
        if (queued > 0) await this.lifecycle.signalWork(tx);
        return { accepted, claimed: [], settled: false };
      }
      const runIds = [...new Set(finished.map((f) => f.runId))].sort();
      const { claimed, left, wroteLeading } = await this.leases.handOff(
        tx, runIds, handoff.owner, handoff.leaseSeconds, handoff.limits, events, settled?.handOffLocks,
      );
      if (!wroteLeading) await this.events.append(tx, events);
      if (queued > 0 && left) await this.lifecycle.signalWork(tx);
      const gave = items.filter((_, i) => accepted[i]).map((item) => item.step);
      return { accepted, claimed, settled: !left && coversSlots(claimed, gave) };
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

/** True when `taken` holds, per agent serving them, at least as many steps as `freed`. */
function coversSlots(taken: ClaimedStep[], freed: ClaimedStep[]): boolean {
  const balance = new Map<string, number>();
  for (const step of freed) balance.set(step.servedBy ?? step.agent ?? '', (balance.get(step.servedBy ?? step.agent ?? '') ?? 0) + 1);
  for (const step of taken) balance.set(step.servedBy ?? step.agent ?? '', (balance.get(step.servedBy ?? step.agent ?? '') ?? 0) - 1);
  return [...balance.values()].every((n) => n <= 0);
}

/** What every step outcome event carries: enough for metrics and dashboards without a read. */
function stepEventData(step: ClaimedStep): Record<string, unknown> {
  return { attempt: step.attempt, agent: step.agent, servedBy: step.servedBy, durationMs: Date.now() - step.claimedAt };
}
