import { Cron } from 'croner';
import { instantsOf, offsetAt, shiftedOutOfGap, wallOf } from './zoned-time.js';

export type DstPolicy = 'skip' | 'run_once' | 'run_twice';

/** When a schedule fires: exactly one of cron, interval or at, plus its bounds. */
export interface FireSpec {
  cron?: string;
  intervalSeconds?: number;
  at?: Date;
  timezone: string;
  dst: DstPolicy;
  startAt?: Date | null;
  endAt?: Date | null;
  /** Interval schedules count from here (start_at, else the creation time). */
  anchor: Date;
}

const HOUR = 3_600_000;
const MAX_STEPS = 20_000;

/**
 * Croner parses and matches the pattern (no home-made cron parser). It is asked in UTC on
 * wall times, never in the schedule's zone, so the DST decision is ours and follows `dst`
 * instead of whatever a library version does in a gap.
 */
function cronOf(pattern: string): Cron {
  return new Cron(pattern, { timezone: 'UTC', paused: true });
}

/** Throws croner's message when `pattern` is not a cron expression. */
export function assertCron(pattern: string): void {
  cronOf(pattern);
}

/** The instants a wall time fires at under `dst`. */
function instantsFor(zone: string, wall: number, dst: DstPolicy): number[] {
  const instants = instantsOf(zone, wall);
  if (instants.length === 0) return dst === 'skip' ? [] : [shiftedOutOfGap(zone, wall)];
  return dst === 'run_twice' ? instants : [instants[0]!];
}

/** The first cron fire strictly after `after` (ms), or null. */
function nextCron(spec: FireSpec, after: number): number | null {
  const cron = cronOf(spec.cron!);
  const zone = spec.timezone;
  // Near an autumn repeat, wall times earlier than wall(after) may still have a second
  // instant ahead: start three hours back in wall time when the offset changes around `after`.
  const changed = offsetAt(zone, after + 3 * HOUR) !== offsetAt(zone, after - 3 * HOUR);
  let wall = wallOf(zone, changed ? after - 3 * HOUR : after);
  let best: number | null = null;
  for (let step = 0; step < MAX_STEPS; step++) {
    const next = cron.nextRun(new Date(wall));
    if (!next) return best;
    wall = next.getTime();
    const instants = instantsFor(zone, wall, spec.dst);
    for (const instant of instants) {
      if (instant > after && (best === null || instant < best)) best = instant;
    }
    // Wall times are visited in order and their first instants only grow (a repeat's second
    // instant is the only one that can be smaller than a later wall's): stop past `best`.
    const first = instantsOf(zone, wall)[0] ?? shiftedOutOfGap(zone, wall);
    if (best !== null && first > best) return best;
  }
  return best;
}

function nextUnbounded(spec: FireSpec, after: number): number | null {
  if (spec.at) return spec.at.getTime() > after ? spec.at.getTime() : null;
  if (spec.intervalSeconds) {
    const every = spec.intervalSeconds * 1000;
    const anchor = spec.anchor.getTime();
    if (after < anchor) return anchor;
    return anchor + (Math.floor((after - anchor) / every) + 1) * every;
  }
  return nextCron(spec, after);
}

/** The first fire time strictly after `after` within start_at / end_at, or null when none is left. */
export function nextFireTime(spec: FireSpec, after: Date): Date | null {
  let from = after.getTime();
  if (spec.startAt && spec.startAt.getTime() - 1 > from) from = spec.startAt.getTime() - 1;
  const next = nextUnbounded(spec, from);
  if (next === null) return null;
  if (spec.endAt && next > spec.endAt.getTime()) return null;
  return new Date(next);
}

/** Up to `count` fire times after `after`. */
export function nextFireTimes(spec: FireSpec, after: Date, count: number): Date[] {
  const times: Date[] = [];
  let cursor: Date | null = after;
  while (times.length < count && (cursor = nextFireTime(spec, cursor))) times.push(cursor);
  return times;
}

/** The fire times in [from, to], at most `limit` (+1, so callers can tell there were more). */
export function fireTimesBetween(spec: FireSpec, from: Date, to: Date, limit: number): Date[] {
  const times: Date[] = [];
  let cursor: Date | null = new Date(from.getTime() - 1);
  while (times.length <= limit && (cursor = nextFireTime(spec, cursor)) && cursor.getTime() <= to.getTime()) {
    times.push(cursor);
  }
  return times;
}

/**
 * A stable delay in [0, jitterSeconds) for one fire, from the schedule id and fire time, so
 * every instance computes the same due time and a restart does not move it.
 */
export function jitterMs(scheduleId: string, fireTime: Date, jitterSeconds: number): number {
  if (jitterSeconds <= 0) return 0;
  let hash = 2166136261;
  for (const char of `${scheduleId}@${fireTime.toISOString()}`) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  }
  return hash % (jitterSeconds * 1000);
}
