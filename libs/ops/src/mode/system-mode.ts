/**
 * The hub's operating modes (issue 16), from least to most restrictive:
 *
 * - `normal`: everything runs.
 * - `safe`: no new runs and no new dispatch; in-flight steps run to completion; other writes
 *   (cancel, approvals, definitions) still work.
 * - `degraded`: read-only. As safe, and every other write answers 503 except decisions on
 *   running work and the system routes themselves. Entered automatically while the database
 *   is unreachable or refuses writes, or by an operator.
 * - `draining`: as safe, then each instance stops once its in-flight steps are done.
 */
export const SYSTEM_MODES = ['normal', 'safe', 'degraded', 'draining'] as const;
export type SystemMode = (typeof SYSTEM_MODES)[number];

export function isSystemMode(value: unknown): value is SystemMode {
  return typeof value === 'string' && (SYSTEM_MODES as readonly string[]).includes(value);
}

const RANK: Record<SystemMode, number> = { normal: 0, safe: 1, degraded: 2, draining: 3 };

/** The stricter of two modes: the stored (shared) one and this instance's automatic one. */
export function stricter(a: SystemMode, b: SystemMode): SystemMode {
  return RANK[a] >= RANK[b] ? a : b;
}

export function admitsRuns(mode: SystemMode): boolean {
  return mode === 'normal';
}

export function allowsDispatch(mode: SystemMode): boolean {
  return mode === 'normal';
}

export interface StoredSystemState {
  mode: SystemMode;
  reason: string | null;
  setBy: string | null;
  changedAt: Date;
  lastHeartbeatAt: Date | null;
  heartbeatBy: string | null;
}

export interface SystemEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  instanceId: string | null;
  createdAt: Date;
}

/** In-process event (EventEmitter2) emitted when this instance's effective mode changes. */
export const SYSTEM_MODE_CHANGED_EVENT = 'system.mode.changed';
/** NOTIFY channel: an instance changed the stored mode; the others re-read it at once. */
export const SYSTEM_CHANNEL = 'baton_system';
