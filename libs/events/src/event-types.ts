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
] as const satisfies readonly (keyof EventCatalogue)[];

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
] as const satisfies readonly (keyof EventCatalogue)[];

/**
 * Events about an agent rather than a run (issue 12): its circuit breaker's transitions.
 * They are kept in `agent_events`, a log of their own, because `orchestration_events` rows
 * belong to a run.
 */
export const AGENT_EVENTS = ['agent.breaker_opened', 'agent.breaker_half_opened', 'agent.breaker_closed'] as const;

/** A circuit breaker's state: calls flow, calls are refused, or a few probe calls are let through. */
export type BreakerStateName = 'closed' | 'open' | 'half_open';

export interface AgentEventCatalogue {
  'agent.breaker_opened': { from: BreakerStateName; to: 'open'; failures: number; halfOpenAt: string; error?: EventError };
  'agent.breaker_half_opened': { from: 'open'; to: 'half_open' };
  'agent.breaker_closed': { from: BreakerStateName; to: 'closed'; reason: 'probe_succeeded' | 'reset' };
}

export type AgentEventType = keyof AgentEventCatalogue;

/** An agent event about to be appended. */
export type NewAgentEvent = {
  [T in AgentEventType]: { agent: string; type: T; data: AgentEventCatalogue[T] };
}[AgentEventType];

/** An error as events carry it (a step's or a run's). */
export interface EventError {
  message: string;
  code?: string;
  stepKey?: string;
}

/** Every transition event names the status left and the status entered. */
export interface Transition {
  from: string;
  to: string;
}

/** A run's transition: its new status and what dashboards and metrics read without a query. */
export interface RunTransitionData extends Transition {
  status: string;
  definition: string;
  durationMs?: number;
  error?: EventError;
  parentRunId?: string;
}

/** What every step outcome carries. */
export interface StepOutcomeData extends Transition {
  attempt?: number;
  agent?: string | null;
  /** The agent that served the step (the named one, or the one chosen for its capability). */
  servedBy?: string | null;
  durationMs?: number;
}

/**
 * The catalogue: each event type and its payload. `EventLogService.append` accepts only
 * these, so emitting an unknown type, or a payload of the wrong shape, does not compile.
 */
export interface EventCatalogue {
  'run.created': { definition: { id: string; name: string; version: string }; parentRunId: string | null };
  'run.started': Transition;
  'run.paused': RunTransitionData;
  'run.resumed': RunTransitionData | (Transition & { reason: 'decided' });
  'run.waiting': Transition & { stepKey: string };
  'run.retried': Transition & { stepKey: string; reopened: string[] };
  'run.completed': RunTransitionData;
  'run.failed': RunTransitionData;
  'run.cancelled': RunTransitionData;
  'step.started': StepOutcomeData & { instance: string };
  'step.completed': StepOutcomeData & { cacheHit: boolean };
  'step.failed': StepOutcomeData & { error: EventError };
  'step.retrying': StepOutcomeData & { delayMs: number; error: EventError };
  'step.skipped': StepOutcomeData & { error: EventError };
  'step.cancelled': Transition;
  'step.waiting': Transition & { reason: 'approval' | 'child_run' | 'breaker_open'; childRunId?: string; approvalId?: string; kind?: string };
  'step.cache_hit': { cacheKey: string | null };
  'step.recovered': Transition;
  'step.child_started': { childRunId: string };
  'approval.requested': { approvalId: string; kind: string; prompt: string | null; expiresAt: Date | null };
  'approval.decided': Transition & { approvalId: string; kind: string; decision: string | null; decidedBy: unknown };
  'approval.expired': Transition & { approvalId: string; kind: string; decision: string | null; decidedBy: unknown };
  'a2a.message_received': { messageId: string; parts: unknown[]; metadata?: Record<string, unknown> };
}

export type RunEventType = (typeof RUN_EVENTS)[number];
export type StepEventType = (typeof STEP_EVENTS)[number];
export type EventType = keyof EventCatalogue;
export type EventData<T extends EventType> = EventCatalogue[T];

export const TERMINAL_RUN_EVENTS: ReadonlySet<string> = new Set(['run.completed', 'run.failed', 'run.cancelled']);

/** An event about to be appended: its `data` is the payload its type declares. */
export type NewEvent = {
  [T in EventType]: { runId: string; type: T; stepKey?: string; data?: EventCatalogue[T] };
}[EventType];

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
