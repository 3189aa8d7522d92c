import type { DstPolicy } from './fire-times.js';

export const OVERLAP_POLICIES = ['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'allow_all'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
export const DST_POLICIES: readonly DstPolicy[] = ['skip', 'run_once', 'run_twice'];

/** What a fire starts: a saved definition (latest or a version) or an inline plan. */
export type ScheduleTarget =
  | { definition: { name: string; version?: string; owner?: string } }
  | { plan: Record<string, unknown> };

/** When it fires: exactly one of these. An interval counts from start_at, else from `anchor` (its creation on the scheduler's clock). */
export type ScheduleTiming = { cron: string } | { intervalSeconds: number; anchor?: string } | { at: string };

/** A schedule as the API accepts it (validated and normalised). */
export interface ScheduleInput {
  name: string;
  target: ScheduleTarget;
  input: unknown;
  timing: ScheduleTiming;
  timezone: string;
  startAt: Date | null;
  endAt: Date | null;
  jitterSeconds: number;
  overlap: OverlapPolicy;
  catchupWindowSeconds: number;
  pauseOnFailure: boolean;
  dst: DstPolicy;
  note: string | null;
}

export interface Schedule extends ScheduleInput {
  id: string;
  paused: boolean;
  pauseNote: string | null;
  nextFireAt: Date | null;
  nextDueAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type FireKind = 'scheduled' | 'trigger' | 'backfill';
/**
 * pending: to start (a crash after recording it is recovered by the next tick); buffered:
 * waiting for the running fire to finish; started: has its run; skipped: by overlap or
 * skip-next; missed: outside the catch-up window; failed: the run could not be created.
 */
export type FireStatus = 'pending' | 'buffered' | 'started' | 'skipped' | 'missed' | 'failed';

export interface ScheduleFire {
  id: string;
  scheduleId: string;
  fireKey: string;
  fireTime: Date;
  kind: FireKind;
  status: FireStatus;
  reason: string | null;
  cancelActive: boolean;
  runId: string | null;
  runStatus: string | null;
  createdAt: Date;
  startedAt: Date | null;
}

export const TERMINAL_RUN_STATUSES = ['completed', 'failed', 'cancelled'];
