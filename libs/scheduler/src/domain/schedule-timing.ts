import { jitterMs, nextFireTime, type FireSpec } from './fire-times.js';
import type { Schedule, ScheduleInput } from './schedule.types.js';

export function fireSpecOf(schedule: ScheduleInput & { createdAt?: Date }): FireSpec {
  const timing = schedule.timing;
  return {
    ...('cron' in timing ? { cron: timing.cron } : {}),
    ...('intervalSeconds' in timing ? { intervalSeconds: timing.intervalSeconds } : {}),
    ...('at' in timing ? { at: new Date(timing.at) } : {}),
    timezone: schedule.timezone,
    dst: schedule.dst,
    startAt: schedule.startAt,
    endAt: schedule.endAt,
    anchor: schedule.startAt ?? ('anchor' in timing && timing.anchor ? new Date(timing.anchor) : (schedule.createdAt ?? new Date(0))),
  };
}

/** The next fire after `after` and when it is due (jitter added); nulls when none is left. */
export function nextFireOf(
  schedule: (ScheduleInput & { createdAt?: Date }) & Partial<Pick<Schedule, 'id'>>,
  after: Date,
  id: string = schedule.id ?? '',
): { fireAt: Date | null; dueAt: Date | null } {
  const fireAt = nextFireTime(fireSpecOf(schedule), after);
  if (!fireAt) return { fireAt: null, dueAt: null };
  return { fireAt, dueAt: new Date(fireAt.getTime() + jitterMs(id, fireAt, schedule.jitterSeconds)) };
}
