import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { EventLogService, type ItemsProgressData } from '@baton/events';
import type { ClaimedStep } from '../domain/run.types.js';
import { StepRepository } from '../repositories/step.repository.js';

/**
 * Progress inside a running step that is not a state change: a for_each step's items. The
 * step's row keeps only its outcome; while it runs, which items are done, running or failed
 * is told by `step.items_progressed` events (the dashboard folds them into item statuses).
 */
@Injectable()
export class StepProgressService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  /** Records item progress; false (nothing written) when the claim is no longer this caller's. */
  async itemsProgressed(step: ClaimedStep, progress: Omit<ItemsProgressData, 'attempt'>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await this.steps.holdsLease(step.id, step.token, tx))) return false;
      await this.events.append(tx, [
        { runId: step.runId, type: 'step.items_progressed', stepKey: step.key, data: { attempt: step.attempt, ...progress } },
      ]);
      return true;
    });
  }
}
