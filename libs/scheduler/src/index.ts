export { SchedulerModule } from './scheduler.module.js';
export { ScheduleService, SCHEDULES_CHANNEL } from './services/schedule.service.js';
export { ScheduleFiringService } from './services/schedule-firing.service.js';
export { SchedulerTimerService } from './services/scheduler-timer.service.js';
export { SchedulerClock } from './services/scheduler-clock.js';
export { presentSchedule, presentFire } from './http/schedule.presenter.js';
export { parseScheduleInput } from './domain/schedule-input.js';
export { nextFireTime, nextFireTimes, type FireSpec, type DstPolicy } from './domain/fire-times.js';
export type { Schedule, ScheduleFire, ScheduleInput, OverlapPolicy, FireStatus, FireKind } from './domain/schedule.types.js';
