import { Injectable } from '@nestjs/common';

/**
 * The scheduler's notion of now. Production reads the system clock; tests move it (to a DST
 * change, past a downtime) instead of sleeping for hours. Everything that decides whether a
 * fire is due or missed asks this clock, never `Date.now()`.
 */
@Injectable()
export class SchedulerClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Tests: make `now()` read `instant` (and tick on from there). */
  set(instant: Date): void {
    this.offsetMs = instant.getTime() - Date.now();
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
