import type { Queryable } from '@baton/db';
import { decideOverlap } from '../domain/overlap.js';
import type { FireKind, Schedule, ScheduleFire } from '../domain/schedule.types.js';
import { FireRepository } from '../repositories/fire.repository.js';

/**
 * Records fires of one locked schedule inside the caller's transaction, applying its overlap
 * policy. Keeps the open-fire counts as it goes, so a batch (catch-up, backfill) sees the
 * fires it has just recorded.
 */
export class FireRecorder {
  private constructor(
    private readonly fires: FireRepository,
    private readonly schedule: Schedule,
    private readonly tx: Queryable,
    private counts: { active: number; buffered: number },
  ) {}

  static async open(fires: FireRepository, schedule: Schedule, tx: Queryable): Promise<FireRecorder> {
    return new FireRecorder(fires, schedule, tx, await fires.openCounts(schedule.id, tx));
  }

  /** Null when this fire key was recorded before (the fire already happened). */
  async record(kind: FireKind, fireKey: string, fireTime: Date): Promise<ScheduleFire | null> {
    const decision = decideOverlap(this.schedule.overlap, this.counts.active, this.counts.buffered);
    const base = { scheduleId: this.schedule.id, fireKey, fireTime, kind };
    if (decision === 'skip') {
      return this.fires.insert({ ...base, status: 'skipped', reason: 'overlap: the previous run is still going' }, this.tx);
    }
    if (decision === 'buffer') {
      const fire = await this.fires.insert({ ...base, status: 'buffered' }, this.tx);
      if (fire) this.counts.buffered++;
      return fire;
    }
    if (decision === 'cancel_and_start') {
      await this.fires.supersedePending(this.schedule.id, this.tx);
      this.counts = { active: 0, buffered: 0 };
    }
    const fire = await this.fires.insert({ ...base, status: 'pending', cancelActive: decision === 'cancel_and_start' }, this.tx);
    if (fire) this.counts.active++;
    return fire;
  }

  /** A fire that is not run: missed (outside the catch-up window) or skipped by request. */
  recordClosed(kind: FireKind, fireKey: string, fireTime: Date, status: 'missed' | 'skipped', reason: string): Promise<ScheduleFire | null> {
    return this.fires.insert({ scheduleId: this.schedule.id, fireKey, fireTime, kind, status, reason }, this.tx);
  }
}

/** The key of a fire at its nominal time: the same on every instance and after any restart. */
export function scheduledKey(fireTime: Date): string {
  return `scheduled:${fireTime.toISOString()}`;
}
