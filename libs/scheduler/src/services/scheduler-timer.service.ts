import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import { Database } from '@baton/db';
import { FireRepository } from '../repositories/fire.repository.js';
import { ScheduleRepository } from '../repositories/schedule.repository.js';
import { ScheduleFiringService } from './schedule-firing.service.js';
import { SCHEDULES_CHANNEL, ScheduleService } from './schedule.service.js';
import { SchedulerClock } from './scheduler-clock.js';

const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_BATCH = 1000;

/**
 * One timer per instance, armed for the earliest due schedule (capped by the safety-net poll
 * interval). A schedule change here or on another instance (NOTIFY) and a finished run
 * re-arm it; there is no loop per schedule. The first tick at start-up is the catch-up.
 */
@Injectable()
export class SchedulerTimerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unlisten: (() => Promise<void>) | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastPrune = 0;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(ScheduleRepository) private readonly schedules: ScheduleRepository,
    @Inject(FireRepository) private readonly fires: FireRepository,
    @Inject(ScheduleFiringService) private readonly firing: ScheduleFiringService,
    @Inject(ScheduleService) private readonly service: ScheduleService,
    @Inject(SchedulerClock) private readonly clock: SchedulerClock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = this.service.onChange(() => this.wake());
    this.unlisten = await this.db.listen(SCHEDULES_CHANNEL, () => this.wake());
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe?.();
    await this.unlisten?.().catch(() => undefined);
    await this.running;
  }

  @OnEvent('orchestration.run.completed')
  @OnEvent('orchestration.run.failed')
  @OnEvent('orchestration.run.cancelled')
  onRunFinished(): void {
    this.wake();
  }

  /** Ticks now (or right after the current tick), then re-arms. Tests call it after moving the clock. */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.timer);
    this.running = this.loop().finally(() => {
      this.running = undefined;
      void this.arm();
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.firing.tick();
        await this.prune();
      } catch (error) {
        this.logger.error(`scheduler tick failed: ${(error as Error).message}`);
      }
    } while (this.again && !this.stopped);
  }

  private async arm(): Promise<void> {
    if (this.stopped) return;
    let delay = this.config.pollIntervalMs;
    try {
      const due = await this.schedules.earliestDue();
      if (due) delay = Math.max(0, Math.min(delay, due.getTime() - this.clock.now().getTime()));
    } catch {
      // the database is away: the poll interval is the retry
    }
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.wake(), delay);
    this.timer.unref();
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const before = new Date(this.clock.now().getTime() - this.config.scheduleHistoryDays * 86_400_000);
    await this.fires.prune(before, PRUNE_BATCH);
  }
}
