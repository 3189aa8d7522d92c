import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BatonConfig, BatonError } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import { EventLogService } from '@baton/events';
import type { Run, StepError } from '../domain/run.types.js';
import { RUN_MOVES } from '../domain/run-status.js';
import { COMPENSATION_AVAILABLE_EVENT, COMPENSATION_CHANNEL } from '../domain/work-signals.js';
import { CompensationRepository, type ClaimedCompensation, type EscalatedCompensation } from '../repositories/compensation.repository.js';
import { CompensationPlanner } from './compensation-planner.service.js';
import { RunLifecycleService } from './run-lifecycle.service.js';

/** A compensation's retry delay doubles from its `initial_delay_ms`, capped here. */
const MAX_DELAY_MS = 30_000;
/** Compensations abandoned per sweep transaction; the rest wait for the next sweep. */
const OVERDUE_BATCH = 200;
/** The `code` of a rollback that ran out of time. */
export const COMPENSATION_TIMEOUT = 'compensation_timeout';

/**
 * The durable side of saga compensation (issue 12), for the compensation worker: claim due
 * compensations under a lease, record each attempt's outcome (fenced by the lease token), and
 * end the run once the last one has finished. Also the by-hand rollback of a failed run.
 */
@Injectable()
export class RunCompensationService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(CompensationRepository) private readonly compensations: CompensationRepository,
    @Inject(CompensationPlanner) private readonly planner: CompensationPlanner,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
  ) {}

  /** Recovers expired leases, then claims up to `limit` ready compensations (`step.compensating` each). */
  async claim(limit: number, defaultTimeoutSeconds: number): Promise<ClaimedCompensation[]> {
    await this.compensations.recoverExpired();
    const claimed = await this.compensations.claim(this.config.instanceId, this.config.leaseSeconds, limit, defaultTimeoutSeconds);
    if (claimed.length > 0) {
      await this.db.transaction((tx) =>
        this.events.append(tx, claimed.map((c) => ({ runId: c.runId, type: 'step.compensating', stepKey: c.stepKey, data: { attempt: c.attempt, agent: agentOf(c) } }))),
      );
    }
    return claimed;
  }

  /** The compensation succeeded. False when its lease was lost meanwhile (someone else owns it). */
  async complete(c: ClaimedCompensation, input: unknown, output: unknown, durationMs: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const done = await this.compensations.finish(c, 'completed', { input, output }, tx);
      if (!done) return false;
      await this.events.append(tx, [{ runId: c.runId, type: 'step.compensated', stepKey: c.stepKey, data: { attempt: c.attempt, agent: agentOf(c), durationMs } }]);
      await this.lifecycle.endRollback(tx, done.runId, done.outcome);
      return true;
    });
  }

  /**
   * An attempt failed: retried after a doubling delay while attempts remain and it may be;
   * else escalated: it waits for a person (an approval of kind `compensation`, opened by the
   * approvals module from this event) and the run keeps compensating.
   */
  async fail(c: ClaimedCompensation, error: StepError, input: unknown): Promise<boolean> {
    const final = error.retryable === false || c.attempt >= c.maxAttempts;
    const delayMs = final ? undefined : Math.min(MAX_DELAY_MS, c.spec.initialDelayMs * 2 ** (c.attempt - 1));
    return this.db.transaction(async (tx) => {
      const done = await this.compensations.finish(c, final ? 'escalated' : 'pending', { input, error, delayMs }, tx);
      if (!done) return false;
      const data = {
        attempt: c.attempt, agent: agentOf(c), error: { message: error.message, ...(error.code && { code: error.code }) }, final,
        ...(delayMs !== undefined && { delayMs }), ...(final && { escalated: true, compensationId: c.id }),
      };
      await this.events.append(tx, [{ runId: c.runId, type: 'step.compensation_failed', stepKey: c.stepKey, data }]);
      return true;
    });
  }

  /** The escalated compensation an approval is opened for; null once it is no longer escalated. */
  findEscalated(compensationId: string, tx: Transaction): Promise<EscalatedCompensation | null> {
    return this.compensations.findEscalated(compensationId, tx);
  }

  /**
   * A person's decision on an escalated compensation, in the decision's transaction: `retry`
   * queues it again with fresh attempts, `give_up` fails it for good (and ends the run when it
   * was the last open one, `compensation: partial`). False when it is no longer escalated.
   */
  async resolveEscalation(tx: Transaction, runId: string, stepId: string, choice: 'retry' | 'give_up'): Promise<boolean> {
    const resolved = await this.compensations.resolve(runId, stepId, choice, tx);
    if (!resolved) return false;
    if (choice === 'give_up') {
      await this.lifecycle.endRollback(tx, runId, resolved.outcome);
    } else {
      await tx.query(`select pg_notify($1::text, $2::text)`, [COMPENSATION_CHANNEL, this.config.instanceId]);
      tx.afterCommit(() => this.emitter.emit(COMPENSATION_AVAILABLE_EVENT));
    }
    return true;
  }

  /**
   * The sweep: rollbacks past their deadline (SAGA_COMPENSATION_TIMEOUT_SECONDS or the
   * definition's `rollback.timeout_seconds`) abandon what is still open and end with
   * `compensation: partial`, after a `run.compensation_timed_out` event. Returns how many.
   */
  async abandonOverdue(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const error = { message: 'the rollback ran out of time (SAGA_COMPENSATION_TIMEOUT_SECONDS)', code: COMPENSATION_TIMEOUT, retryable: false };
      const abandoned = await this.compensations.abandonOverdue(OVERDUE_BATCH, error, tx);
      const byRun = new Map<string, { outcome: 'failed' | 'cancelled'; steps: string[] }>();
      for (const row of abandoned) {
        const entry = byRun.get(row.runId) ?? { outcome: row.outcome, steps: [] };
        entry.steps.push(row.stepKey);
        byRun.set(row.runId, entry);
      }
      for (const [runId, { outcome, steps }] of byRun) {
        await this.events.append(tx, [{ runId, type: 'run.compensation_timed_out', data: { code: COMPENSATION_TIMEOUT, abandoned: steps.sort() } }]);
        await this.lifecycle.endRollback(tx, runId, outcome);
      }
      return abandoned.length;
    });
  }

  /** When the next compensation is due, for the worker's timer. */
  nextDueAt(): Promise<Date | null> {
    return this.compensations.nextDueAt();
  }

  /**
   * `POST /runs/:id/compensate`: a failed run rolls back its completed steps by hand. 409 when
   * the run is not failed or has nothing to compensate (or was rolled back already).
   */
  async compensate(runId: string): Promise<Run> {
    const run = await this.db.transaction(async (tx) => {
      const plan = await this.planner.plan(tx, runId, 'failed', true, RUN_MOVES.compensateFailed.from);
      if (!plan) return null;
      if (plan.run.compensation) return null;
      return this.lifecycle.startRollback(tx, runId, 'failed', plan.compensations, undefined, RUN_MOVES.compensateFailed);
    });
    if (!run) throw new BatonError('invalid_state', `run ${runId}: only a failed run with completed steps that declare compensate, not rolled back yet, can be compensated`);
    return run;
  }
}

function agentOf(c: ClaimedCompensation): string | null {
  return c.spec.agent ?? (c.spec.capability ? `capability:${c.spec.capability}` : null);
}
