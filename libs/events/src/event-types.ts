/**
 * The catalogue of events in the log. The stored `type` is `<aggregate>.<past-tense>`; the
 * in-process name adds the `orchestration.` prefix (`orchestration.step.completed`).
 */
export const RUN_EVENTS = [
  'run.created',
  'run.started',
  'run.paused',
  'run.resumed',
  'run.waiting',
  'run.retried',
  'run.completed',
  'run.failed',
  'run.cancelled',
] as const;

export const STEP_EVENTS = [
  'step.started',
  'step.completed',
  'step.failed',
  'step.retrying',
  'step.skipped',
  'step.cancelled',
  'step.waiting',
  'step.cache_hit',
  'step.recovered',
  'step.child_started',
] as const;

export type RunEventType = (typeof RUN_EVENTS)[number];
export type StepEventType = (typeof STEP_EVENTS)[number];
export type EventType = RunEventType | StepEventType | `${string}.${string}`;

export const TERMINAL_RUN_EVENTS: ReadonlySet<string> = new Set(['run.completed', 'run.failed', 'run.cancelled']);

/** An event about to be appended. */
export interface NewEvent {
  runId: string;
  type: EventType;
  stepKey?: string;
  data?: Record<string, unknown>;
}

/** An event as stored: `seq` is gap-free per run; `position` orders all runs' events. */
export interface RunEvent {
  id: number;
  /** Global cursor (`<txid>.<id>`): resume a feed of every run strictly after it. */
  position: string;
  runId: string;
  seq: number;
  type: EventType;
  stepKey: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** The name an event is emitted under in-process. */
export function domainEventName(type: string): string {
  return `orchestration.${type}`;
}
