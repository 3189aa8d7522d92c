import { Inject, Injectable } from '@nestjs/common';
import { BatonConfig, BatonError } from '@baton/common';
import { Database } from '@baton/db';
import { EventLogService } from '@baton/events';
import type { Run, StepError } from '../domain/run.types.js';
import { RUN_MOVES } from '../domain/run-status.js';
import { CompensationRepository, type ClaimedCompensation } from '../repositories/compensation.repository.js';
import { CompensationPlanner } from './compensation-planner.service.js';
import { RunLifecycleService } from './run-lifecycle.service.js';

/** A compensation's retry delay doubles from its `initial_delay_ms`, capped here. */
const MAX_DELAY_MS = 30_000;

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

  /** An attempt failed: retried after a doubling delay while attempts remain and it may be, else failed for good. */
  async fail(c: ClaimedCompensation, error: StepError, input: unknown): Promise<boolean> {
    const final = error.retryable === false || c.attempt >= c.maxAttempts;
    const delayMs = final ? undefined : Math.min(MAX_DELAY_MS, c.spec.initialDelayMs * 2 ** (c.attempt - 1));
    const moved = await this.db.transaction(async (tx) => {
      const done = await this.compensations.finish(c, final ? 'failed' : 'pending', { input, error, delayMs }, tx);
      if (!done) return false;
      const data = { attempt: c.attempt, agent: agentOf(c), error: { message: error.message, ...(error.code && { code: error.code }) }, final, ...(delayMs !== undefined && { delayMs }) };
      await this.events.append(tx, [{ runId: c.runId, type: 'step.compensation_failed', stepKey: c.stepKey, data }]);
      if (final) await this.lifecycle.endRollback(tx, done.runId, done.outcome);
      return true;
    });
    return moved;
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
