import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { RunLimitsRepository } from '../repositories/run-limits.repository.js';
import { RunLifecycleService } from './run-lifecycle.service.js';

/** `error.code` of a run cancelled at its deadline. */
export const RUN_TIMEOUT = 'run_timeout';

/** Runs cancelled per sweep transaction; the rest wait for the next sweep. */
const OVERDUE_BATCH = 50;

/**
 * Run deadlines and the admission queue. The deadline is a column, so any instance's sweep
 * (execution's `FaultSweeper`) cancels an overdue run tree after any restart; admission
 * itself happens before each claim (`StepLeaseService`), under the admission lock.
 */
@Injectable()
export class RunLimitsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(RunLimitsRepository) private readonly limits: RunLimitsRepository,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
  ) {}

  /** Cancels runs past their deadline, with their open steps and child runs (then rolls back if so configured); returns how many. */
  async cancelOverdue(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const overdue = await this.limits.lockOverdue(OVERDUE_BATCH, tx);
      for (const run of overdue) {
        const error = { message: `the run passed its deadline (${run.deadlineAt.toISOString()})`, code: RUN_TIMEOUT };
        // A run whose rollback.on_failure is compensate rolls back its completed steps too.
        await this.lifecycle.finishRun(tx, run.id, 'cancelled', { error, compensate: 'as_configured' });
      }
      // A run that ended frees an admission slot: let claimers admit the next one now.
      if (overdue.length > 0) await this.lifecycle.signalWork(tx);
      return overdue.length;
    });
  }

  /** The run's place in the admission queue (1 = next), or null when it is not queued. */
  queuePosition(runId: string): Promise<number | null> {
    return this.limits.queuePosition(runId);
  }

  /** Runs waiting for admission (MAX_CONCURRENT_WORKFLOWS). */
  queueDepth(): Promise<number> {
    return this.limits.queueDepth();
  }

  /** Open admitted top-level runs and runs waiting for admission (GET /workflow-capacity). */
  admissionCounts(): Promise<{ active: number; queued: number }> {
    return this.limits.admissionCounts();
  }
}
