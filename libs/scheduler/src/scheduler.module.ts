import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { DelayedRunScheduler } from '@baton/runs';
import { SchedulesController } from './http/schedules.controller.js';
import { DelayedRunSchedulerService } from './services/delayed-run-scheduler.service.js';
import { FireRepository } from './repositories/fire.repository.js';
import { ScheduleRepository } from './repositories/schedule.repository.js';
import { ScheduleFiringService } from './services/schedule-firing.service.js';
import { ScheduleService } from './services/schedule.service.js';
import { SchedulerClock } from './services/scheduler-clock.js';
import { SchedulerTimerService } from './services/scheduler-timer.service.js';

const exported = [ScheduleService, ScheduleFiringService, SchedulerTimerService, SchedulerClock];

/**
 * Schedules: cron, interval and one-off fires that start runs. `imports` must provide the
 * runs module (the run factory, query and control services).
 */
@Module({})
export class SchedulerModule {
  static register(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: SchedulerModule,
      imports: [...(options.imports ?? [])],
      controllers: [SchedulesController],
      // DelayedRunScheduler: the runs library's hook for `startAt` on POST /api/v1/runs.
      providers: [ScheduleRepository, FireRepository, ...exported, { provide: DelayedRunScheduler, useClass: DelayedRunSchedulerService }],
      exports: exported,
    };
  }
}
