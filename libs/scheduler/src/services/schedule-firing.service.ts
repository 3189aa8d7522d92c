import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { Database } from '@baton/db';
import { OrchestrationRunFactoryService, RunControlService, RunQueryService } from '@baton/runs';
import { nextFireOf } from '../domain/schedule-timing.js';
import type { Schedule, ScheduleFire } from '../domain/schedule.types.js';
import { FireRepository } from '../repositories/fire.repository.js';
import { ScheduleRepository } from '../repositories/schedule.repository.js';
import { FireRecorder, scheduledKey } from './fire-recorder.js';
import { SchedulerClock } from './scheduler-clock.js';

/** Work per tick is bounded: batches of this many schedules or fires, with a yield between. */
const BATCH = 20;
const MAX_BATCHES = 10;
/** Fires recorded per schedule per batch (a long downtime of a minutely schedule). */
const FIRES_PER_SCHEDULE = 50;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One tick of the scheduler: record due fires (claimed with `for update skip locked`), follow
 * the runs they started, release buffered fires, and start pending ones. Safe to run on any
 * number of instances at once: a fire is a row keyed (schedule, fire_key), and its run is
 * created with the idempotency key `schedule:<id>:<fire_key>`, so a crash between recording a
 * fire and starting its run is finished by the next tick, once.
 */
@Injectable()
export class ScheduleFiringService {
  private readonly logger = new Logger('Scheduler');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ScheduleRepository) private readonly schedules: ScheduleRepository,
    @Inject(FireRepository) private readonly fires: FireRepository,
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
    @Inject(RunControlService) private readonly control: RunControlService,
    @Inject(SchedulerClock) private readonly clock: SchedulerClock,
  ) {}

  async tick(): Promise<void> {
    // Runs first: a run that finished no longer counts against the overlap policy.
    await this.followRuns();
    await this.recordDueFires();
    await this.fires.promoteBuffered(BATCH * MAX_BATCHES);
    await this.startPending();
  }

  /** Records every due fire (catch-up included) and moves each schedule to its next fire. */
  async recordDueFires(): Promise<void> {
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const now = this.clock.now();
      const claimed = await this.db.transaction(async (tx) => {
        const due = await this.schedules.lockDue(now, BATCH, tx);
        for (const schedule of due) {
          const recorder = await FireRecorder.open(this.fires, schedule, tx);
          let next = { fireAt: schedule.nextFireAt, dueAt: schedule.nextDueAt };
          for (let n = 0; n < FIRES_PER_SCHEDULE && next.fireAt && next.dueAt && next.dueAt <= now; n++) {
            const lateMs = now.getTime() - next.dueAt.getTime();
            if (lateMs > schedule.catchupWindowSeconds * 1000) {
              await recorder.recordClosed('scheduled', scheduledKey(next.fireAt), next.fireAt, 'missed', `missed by ${Math.round(lateMs / 1000)} s (catch-up window ${schedule.catchupWindowSeconds} s)`);
            } else {
              await recorder.record('scheduled', scheduledKey(next.fireAt), next.fireAt);
            }
            next = nextFireOf(schedule, next.fireAt);
          }
          await this.schedules.setNext(schedule.id, next, tx);
        }
        return due.length;
      });
      if (claimed < BATCH) return;
      await yieldToLoop();
    }
  }

  /** Notes the outcome of started runs; a failure pauses a `pause_on_failure` schedule. */
  async followRuns(): Promise<void> {
    for (const fire of await this.fires.running(BATCH * MAX_BATCHES)) {
      // A run that no longer exists counts as cancelled; any other error (the database) ends the tick.
      const run = await this.runs.getRun(fire.runId!).catch((error: unknown) => {
        if (error instanceof BatonError && error.kind === 'not_found') return null;
        throw error;
      });
      const status = run?.status ?? 'cancelled';
      if (status === fire.runStatus) continue;
      if (!(await this.fires.setRunStatus(fire.id, status))) continue;
      if (status === 'failed') await this.pauseOnFailure(fire.scheduleId, `run ${fire.runId} failed`);
    }
  }

  /** Starts the runs of pending fires, in fire order. */
  async startPending(): Promise<void> {
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const pending = await this.db.transaction((tx) => this.fires.lockPending(BATCH, tx));
      for (const fire of pending) await this.start(fire);
      if (pending.length < BATCH) return;
      await yieldToLoop();
    }
  }

  /**
   * Creates the fire's run. No lock is held across the call (the run factory opens its own
   * transaction); two instances starting the same fire get the same run back from its
   * idempotency key, and the guarded `markStarted` records it once.
   */
  async start(fire: ScheduleFire): Promise<void> {
    const schedule = await this.schedules.findById(fire.scheduleId);
    if (!schedule) return;
    try {
      if (fire.cancelActive) await this.cancelRunning(schedule);
      const target = schedule.target;
      const { run } = await this.factory.create({
        ...('definition' in target ? { definition: target.definition } : { plan: target.plan }),
        input: schedule.input,
        idempotencyKey: `schedule:${schedule.id}:${fire.fireKey}`,
        metadata: { schedule: { id: schedule.id, name: schedule.name, fireTime: fire.fireTime.toISOString(), kind: fire.kind } },
        submittedBy: schedule.createdBy,
      });
      await this.fires.markStarted(fire.id, run.id, run.status);
    } catch (error) {
      if (!(error instanceof BatonError)) {
        // The database or a bug: leave the fire pending, the next tick tries again.
        this.logger.error(`schedule ${schedule.name}: could not start the fire at ${fire.fireTime.toISOString()}: ${(error as Error).message}`);
        return;
      }
      await this.fires.markFailed(fire.id, error.message);
      await this.pauseOnFailure(schedule.id, `the run could not be created: ${error.message}`);
    }
  }

  private async cancelRunning(schedule: Schedule): Promise<void> {
    for (const other of await this.fires.running(100, schedule.id)) {
      const run = await this.control.cancel(other.runId!, { anonymous: true }, `cancelled by schedule ${schedule.name} (cancel_other)`).catch(() => null);
      await this.fires.setRunStatus(other.id, run?.status ?? 'cancelled');
    }
  }

  private async pauseOnFailure(scheduleId: string, why: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const schedule = await this.schedules.lock(scheduleId, tx);
      if (!schedule || schedule.paused || !schedule.pauseOnFailure) return;
      await this.schedules.setPaused(schedule.id, true, `paused on failure: ${why}`, null, tx);
    });
  }
}
