import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { EventLogService, type NewEvent } from '@baton/events';
import { RUN_MOVES, STEP_MOVES } from '@baton/runs';
import { DoctorRepository } from './doctor.repository.js';

/**
 * The doctor's repairs of runs and steps: each is a move of the aggregate's transition table,
 * made in one transaction with the event the engine would have logged for it (with `from` and
 * `to`), so a run's history shows what the doctor changed. A wake has no step event in the
 * engine either (the step's next `step.started` tells it).
 */
@Injectable()
export class DoctorTransitions {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(DoctorRepository) private readonly repository: DoctorRepository,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  /** `recover`: the lease the doctor saw (`token`) ran out long ago; the step goes back to the queue. */
  requeueExpired(stepId: string, token: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const step = await this.repository.requeueExpired(stepId, token, tx);
      if (step) await this.events.append(tx, [{ runId: step.runId, type: 'step.recovered', stepKey: step.stepKey, data: { from: 'running', to: STEP_MOVES.recover.to[0]! } }]);
      return step !== null;
    });
  }

  /** `failStuck`, and `cancel` for the steps it left open. */
  failRun(runId: string, message: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const run = await this.repository.failRun(runId, message, tx);
      if (!run) return false;
      const cancelled = await this.repository.cancelOpenSteps(runId, tx);
      const to = RUN_MOVES.failStuck.to;
      const events: NewEvent[] = cancelled.map((s) => ({ runId, type: 'step.cancelled', stepKey: s.stepKey, data: { from: s.from, to: 'cancelled' } }));
      events.push({ runId, type: 'run.failed', data: { from: 'running', to, status: to, definition: run.definition, durationMs: run.durationMs, error: { code: 'stuck', message } } });
      await this.events.append(tx, events);
      return true;
    });
  }

  /** `wake`: what the step waited for already happened. */
  wakeWaiting(stepId: string, reason: string): Promise<boolean> {
    return this.db.transaction(async (tx) => (await this.repository.wakeWaiting(stepId, reason, tx)) !== null);
  }

  /** `cancelOrphan`: the step's run ended while it ran; its slot is freed. */
  cancelLeaked(stepId: string, token: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const step = await this.repository.cancelLeaked(stepId, token, tx);
      if (step) await this.events.append(tx, [{ runId: step.runId, type: 'step.cancelled', stepKey: step.stepKey, data: { from: 'running', to: STEP_MOVES.cancelOrphan.to[0]! } }]);
      return step !== null;
    });
  }
}
