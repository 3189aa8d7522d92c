import type { Schedule, ScheduleFire } from '../domain/schedule.types.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** A schedule in the shape the API accepts, plus its state and next fire times. */
export function presentSchedule(schedule: Schedule, upcoming?: Date[]) {
  const timing = schedule.timing;
  return {
    id: schedule.id,
    name: schedule.name,
    ...schedule.target,
    input: schedule.input,
    ...('cron' in timing ? { cron: timing.cron } : {}),
    ...('intervalSeconds' in timing ? { interval: timing.intervalSeconds } : {}),
    ...('at' in timing ? { at: timing.at } : {}),
    timezone: schedule.timezone,
    start_at: iso(schedule.startAt),
    end_at: iso(schedule.endAt),
    jitter_seconds: schedule.jitterSeconds,
    overlap: schedule.overlap,
    catchup_window_seconds: schedule.catchupWindowSeconds,
    pause_on_failure: schedule.pauseOnFailure,
    dst: schedule.dst,
    note: schedule.note,
    paused: schedule.paused,
    pause_note: schedule.pauseNote,
    next_fire_at: iso(schedule.nextFireAt),
    ...(upcoming ? { next_fire_times: upcoming.map((d) => d.toISOString()) } : {}),
    created_at: iso(schedule.createdAt),
    updated_at: iso(schedule.updatedAt),
  };
}

export function presentFire(fire: ScheduleFire) {
  return {
    id: fire.id,
    fire_time: fire.fireTime.toISOString(),
    kind: fire.kind,
    status: fire.status,
    reason: fire.reason,
    run_id: fire.runId,
    run_status: fire.runStatus,
    recorded_at: fire.createdAt.toISOString(),
    started_at: iso(fire.startedAt),
  };
}
