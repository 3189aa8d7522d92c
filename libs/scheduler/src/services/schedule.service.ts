import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BatonError, canonicalJson } from '@baton/common';
import { Database, type Queryable } from '@baton/db';
import { fireTimesBetween, nextFireTimes } from '../domain/fire-times.js';
import { parseScheduleInput } from '../domain/schedule-input.js';
import { fireSpecOf, nextFireOf } from '../domain/schedule-timing.js';
import type { Schedule, ScheduleFire, ScheduleInput } from '../domain/schedule.types.js';
import { FireRepository } from '../repositories/fire.repository.js';
import { ScheduleRepository } from '../repositories/schedule.repository.js';
import { FireRecorder, scheduledKey } from './fire-recorder.js';
import { ScheduleFiringService } from './schedule-firing.service.js';
import { SchedulerClock } from './scheduler-clock.js';

/** NOTIFY channel: a schedule changed, every instance re-arms its timer. */
export const SCHEDULES_CHANNEL = 'baton_schedules';
const MAX_BACKFILL = 1000;

/** Create, change, pause and steer schedules. Firing itself is `ScheduleFiringService`. */
@Injectable()
export class ScheduleService {
  private readonly changeListeners = new Set<() => void>();

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ScheduleRepository) private readonly schedules: ScheduleRepository,
    @Inject(FireRepository) private readonly fires: FireRepository,
    @Inject(ScheduleFiringService) private readonly firing: ScheduleFiringService,
    @Inject(SchedulerClock) private readonly clock: SchedulerClock,
  ) {}

  /** In-process wake-up for this instance's timer (others hear the NOTIFY). */
  onChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  async create(body: unknown, createdBy: string | null): Promise<Schedule> {
    const input = anchored(parseScheduleInput(body), this.clock.now());
    return this.changed(async (tx) => {
      const inserted = await this.schedules.insert(input, { fireAt: null, dueAt: null }, createdBy, tx);
      if (!inserted) throw new BatonError('conflict', `a schedule named ${input.name} exists`);
      // The id and creation time feed the jitter and an interval's anchor: compute after insert.
      const next = nextFireOf(inserted, this.firstAfter(inserted));
      await this.schedules.setNext(inserted.id, next, tx);
      return { ...inserted, nextFireAt: next.fireAt, nextDueAt: next.dueAt };
    });
  }

  /** PATCH: given fields replace the stored ones; the next fire is computed again from now. */
  async update(id: string, body: unknown): Promise<Schedule> {
    const existing = await this.get(id);
    const parsed = parseScheduleInput(body, '', existing);
    // A changed interval counts from now; an unchanged one keeps its anchor.
    const input = parsed.timing === existing.timing ? parsed : anchored(parsed, this.clock.now());
    return this.changed(async (tx) => {
      const merged = { ...existing, ...input };
      const updated = await this.schedules.update(id, input, nextFireOf(merged, this.firstAfter(merged)), tx);
      if (!updated) throw new BatonError('conflict', `a schedule named ${input.name} exists`);
      return updated;
    });
  }

  /**
   * The bootstrap file's door: creates the schedule of that name, updates it when a field
   * differs, and leaves it alone (paused or not, its next fire kept) when nothing does.
   * Errors name fields under `at` (e.g. `schedules[2].cron`).
   */
  async ensure(body: unknown, at: string): Promise<'created' | 'updated' | 'unchanged'> {
    const input = parseScheduleInput(body, at);
    const existing = await this.schedules.findByName(input.name);
    if (!existing) {
      await this.create(body, null);
      return 'created';
    }
    if (sameSettings(existing, input)) return 'unchanged';
    await this.update(existing.id, body);
    return 'updated';
  }

  async get(id: string): Promise<Schedule> {
    const schedule = await this.schedules.findById(id);
    if (!schedule) throw BatonError.notFound('schedule', id);
    return schedule;
  }

  findByName(name: string): Promise<Schedule | null> {
    return this.schedules.findByName(name);
  }

  list(limit = 500): Promise<Schedule[]> {
    return this.schedules.list(limit);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.schedules.delete(id))) throw BatonError.notFound('schedule', id);
    this.notifyLocal();
  }

  /** The next `count` fire times from now (whether or not paused). */
  upcoming(schedule: Schedule, count = 5): Date[] {
    const from = schedule.nextFireAt ? new Date(schedule.nextFireAt.getTime() - 1) : this.clock.now();
    return nextFireTimes(fireSpecOf(schedule), from, count);
  }

  history(id: string, limit = 100): Promise<ScheduleFire[]> {
    return this.fires.history(id, limit);
  }

  async pause(id: string, note: string | null): Promise<Schedule> {
    return this.changed(async (tx) => {
      const schedule = await this.lockOrThrow(id, tx);
      await this.schedules.setPaused(id, true, note, null, tx);
      return { ...schedule, paused: true, pauseNote: note };
    });
  }

  /** Fires that fell due while paused are not caught up: the next fire is after now. */
  async unpause(id: string, note: string | null): Promise<Schedule> {
    return this.changed(async (tx) => {
      const schedule = await this.lockOrThrow(id, tx);
      const next = nextFireOf(schedule, this.clock.now());
      await this.schedules.setPaused(id, false, note, next, tx);
      return { ...schedule, paused: false, pauseNote: note, nextFireAt: next.fireAt, nextDueAt: next.dueAt };
    });
  }

  /** Cancels the next fire only: it is recorded as skipped and the schedule moves past it. */
  async skipNext(id: string, note: string | null): Promise<Schedule> {
    return this.changed(async (tx) => {
      const schedule = await this.lockOrThrow(id, tx);
      if (!schedule.nextFireAt) throw new BatonError('invalid_state', `schedule ${schedule.name} has no next fire`);
      const recorder = await FireRecorder.open(this.fires, schedule, tx);
      await recorder.recordClosed('scheduled', scheduledKey(schedule.nextFireAt), schedule.nextFireAt, 'skipped', note ? `skip-next: ${note}` : 'skip-next');
      const next = nextFireOf(schedule, schedule.nextFireAt);
      await this.schedules.setNext(id, next, tx);
      return { ...schedule, nextFireAt: next.fireAt, nextDueAt: next.dueAt };
    });
  }

  /** Fires now (whatever the schedule's timing), through the overlap policy. */
  async trigger(id: string): Promise<ScheduleFire> {
    const now = this.clock.now();
    const fire = await this.db.transaction(async (tx) => {
      const schedule = await this.lockOrThrow(id, tx);
      const recorder = await FireRecorder.open(this.fires, schedule, tx);
      return (await recorder.record('trigger', `trigger:${now.toISOString()}:${randomUUID()}`, now))!;
    });
    if (fire.status === 'pending') await this.firing.start(fire);
    return (await this.fires.history(id, 500)).find((f) => f.id === fire.id) ?? fire;
  }

  /** Fires every fire time in [from, to] now, in order, through the overlap policy. */
  async backfill(id: string, body: unknown): Promise<ScheduleFire[]> {
    const { from, to } = parseRange(body);
    const recorded = await this.db.transaction(async (tx) => {
      const schedule = await this.lockOrThrow(id, tx);
      const times = fireTimesBetween(fireSpecOf(schedule), from, to, MAX_BACKFILL);
      if (times.length > MAX_BACKFILL) throw BatonError.validation([{ path: 'to', message: `the range holds more than ${MAX_BACKFILL} fire times` }]);
      const recorder = await FireRecorder.open(this.fires, schedule, tx);
      const fires: ScheduleFire[] = [];
      for (const time of times) {
        const fire = await recorder.record('backfill', `backfill:${time.toISOString()}`, time);
        if (fire) fires.push(fire);
      }
      return fires;
    });
    await this.firing.startPending();
    let history = new Map((await this.fires.history(id, MAX_BACKFILL * 2)).map((f) => [f.id, f]));
    // A tick on this or another instance may hold a fire (skip locked) while it starts it: start
    // what is still pending here too (idempotent: the run's key and the guarded markStarted), so
    // the answer says what became of each fire.
    const stillPending = recorded.filter((fire) => history.get(fire.id)?.status === 'pending');
    if (stillPending.length > 0) {
      for (const fire of stillPending) await this.firing.start(history.get(fire.id)!);
      history = new Map((await this.fires.history(id, MAX_BACKFILL * 2)).map((f) => [f.id, f]));
    }
    return recorded.map((fire) => history.get(fire.id) ?? fire);
  }

  private firstAfter(schedule: Pick<Schedule, 'timing'>): Date {
    const now = this.clock.now();
    // A one-off `at` a little in the past still fires (within the catch-up window).
    if ('at' in schedule.timing) {
      const at = new Date(schedule.timing.at).getTime() - 1;
      return at < now.getTime() ? new Date(at) : now;
    }
    return now;
  }

  private async lockOrThrow(id: string, tx: Queryable): Promise<Schedule> {
    const schedule = await this.schedules.lock(id, tx);
    if (!schedule) throw BatonError.notFound('schedule', id);
    return schedule;
  }

  /** Runs a change in a transaction that also NOTIFYs the other instances' timers. */
  private async changed<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const result = await this.db.transaction(async (tx) => {
      const value = await fn(tx);
      await tx.query(`select pg_notify($1::text, '')`, [SCHEDULES_CHANNEL]);
      return value;
    });
    this.notifyLocal();
    return result;
  }

  private notifyLocal(): void {
    for (const fn of this.changeListeners) fn();
  }
}

function sameSettings(stored: ScheduleInput, given: ScheduleInput): boolean {
  const settings = (s: ScheduleInput) => {
    const timing = 'intervalSeconds' in s.timing ? { intervalSeconds: s.timing.intervalSeconds } : s.timing;
    return canonicalJson({
      name: s.name, target: s.target, input: s.input ?? {}, timing, timezone: s.timezone,
      startAt: s.startAt?.toISOString() ?? null, endAt: s.endAt?.toISOString() ?? null,
      jitterSeconds: s.jitterSeconds, overlap: s.overlap, catchupWindowSeconds: s.catchupWindowSeconds,
      pauseOnFailure: s.pauseOnFailure, dst: s.dst, note: s.note,
    });
  };
  return settings(stored) === settings(given);
}

/** An interval without start_at counts from now (whole seconds), on the scheduler's clock. */
function anchored(input: ScheduleInput, now: Date): ScheduleInput {
  if (!('intervalSeconds' in input.timing)) return input;
  const anchor = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString();
  return { ...input, timing: { intervalSeconds: input.timing.intervalSeconds, anchor } };
}

function parseRange(body: unknown): { from: Date; to: Date } {
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const errors: { path: string; message: string }[] = [];
  const date = (field: 'from' | 'to') => {
    const value = raw[field];
    const parsed = typeof value === 'string' ? new Date(value) : null;
    if (!parsed || Number.isNaN(parsed.getTime())) errors.push({ path: field, message: 'must be an ISO 8601 date-time' });
    return parsed!;
  };
  const from = date('from');
  const to = date('to');
  if (errors.length === 0 && to < from) errors.push({ path: 'to', message: 'must not be before from' });
  if (errors.length > 0) throw BatonError.validation(errors);
  return { from, to };
}
