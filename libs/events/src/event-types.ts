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
  'run.compensating',
  'run.compensation_timed_out',
  'run.budget_warning',
  'run.budget_exceeded',
  'run.budget_raised',
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
  'step.iteration_completed',
  'step.turn_started',
  'step.turn_completed',
  'step.items_progressed',
  'step.compensating',
  'step.compensated',
  'step.compensation_failed',
] as const satisfies readonly (keyof EventCatalogue)[];

/**
 * The seed's workflow events (issue 12, `libs/workflows`), on the runs of workflow executions:
 * an execution started, a step of one was given to its agent, a checkpoint was taken.
 */
export const WORKFLOW_EVENTS = ['workflow.execution_started', 'agent.task_assigned', 'workflow.checkpoint_created'] as const satisfies readonly (keyof EventCatalogue)[];

/** A workflow execution's state when a checkpoint was taken: enough to decide how to recover. */
export interface WorkflowSnapshot {
  runStatus: string;
  steps: Array<{ key: string; status: string; attempt: number }>;
  /** Steps whose outputs are kept: a resumed run does not call their agents again. */
  completed: string[];
  /** Steps that will run (again) when the run resumes. */
  remaining: string[];
}

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
  /** A run that rolled back (saga): whether every compensation succeeded. */
  compensation?: 'completed' | 'partial';
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
 * A running for_each step's items (at most one event per step every half second, and at once
 * when an item fails): `completed` and `failed` are the items finished since the previous
 * event of the attempt, `running` the items in flight now. No event when the step ends first.
 */
export interface ItemsProgressData {
  attempt: number;
  total: number;
  running: number[];
  completed: number[];
  failed: Array<{ index: number; message: string }>;
}

/**
 * The catalogue: each event type and its payload. `EventLogService.append` accepts only
 * these, so emitting an unknown type, or a payload of the wrong shape, does not compile.
 */
export interface EventCatalogue {
  'run.created': { definition: { id: string; name: string; version: string }; parentRunId: string | null };
  'run.started': Transition;
  'run.paused': RunTransitionData;
  'run.resumed': RunTransitionData | (Transition & { reason: 'decided' | 'event_matched' | 'event_timed_out' });
  'run.waiting': Transition & { stepKey: string };
  'run.retried': Transition & { stepKey: string; reopened: string[] };
  'run.completed': RunTransitionData;
  'run.failed': RunTransitionData;
  'run.cancelled': RunTransitionData;
  /** A budget limit reached 80 % (once per limit); on the root run of the tree. */
  'run.budget_warning': { limit: string; spent: number; max: number; runId?: string };
  /** A budget limit stopped a step (or the wall-time timer the tree: no `stepKey`); on the root run. */
  'run.budget_exceeded': { limit: string; spent: number; max: number; onExceed: string; runId: string; stepKey?: string };
  /** New limits were set (PATCH /runs/:id/budget or an approved `ask`). On the root run. */
  'run.budget_raised': { limits: Record<string, number>; onExceed: string; by: string };
  'step.started': StepOutcomeData & { instance: string };
  'step.completed': StepOutcomeData & { cacheHit: boolean };
  'step.failed': StepOutcomeData & { error: EventError };
  'step.retrying': StepOutcomeData & { delayMs: number; error: EventError };
  /** `reason: condition` for a false `when` (or dependencies all skipped by one): no error then. */
  'step.skipped': StepOutcomeData & { error?: EventError; reason?: 'condition'; condition?: string; propagated?: boolean };
  'step.cancelled': Transition;
  'step.waiting': Transition & {
    reason: 'approval' | 'child_run' | 'event' | 'worker' | 'breaker_open';
    /** breaker_open before a pattern turn: the agent (or `capability:<name>`) that could not be called. */
    agent?: string;
    childRunId?: string;
    approvalId?: string;
    kind?: string;
    /** Worker jobs the step parked on (issue 15). */
    jobIds?: string[];
    /** A wait step (issue 14): the event it waits for, the rendered match, since when, until when. */
    event?: string;
    match?: unknown;
    since?: string;
    expiresAt?: Date | null;
  };
  'step.cache_hit': { cacheKey: string | null };
  'step.recovered': Transition;
  'step.child_started': { childRunId: string };
  /** One iteration of a looping step finished; `next` is the iteration queued after it, if any. */
  'step.iteration_completed': { iteration: number; next?: number; until?: boolean };
  /** A turn of a `type: pattern` step: `agent` is the participant's name in the team. */
  'step.turn_started': { turn: number; agent: string; attempt: number };
  'step.turn_completed': { turn: number; agent: string; status: 'completed' | 'failed'; cacheHit: boolean; durationMs: number; error?: EventError };
  'step.items_progressed': ItemsProgressData;
  /** Saga compensation (issue 12): one attempt of a completed step's `compensate` call started, succeeded, or failed. */
  'step.compensating': { attempt: number; agent: string | null };
  'step.compensated': { attempt: number; agent: string | null; durationMs: number };
  /**
   * `final`: no attempt is left, and the compensation is `escalated`: an approval of kind
   * `compensation` asks a person to retry or give up (`compensationId` names the row);
   * otherwise it retries after `delayMs`.
   */
  'step.compensation_failed': { attempt: number; agent: string | null; error: EventError; final: boolean; delayMs?: number; escalated?: boolean; compensationId?: string };
  /** The rollback ran out of time (SAGA_COMPENSATION_TIMEOUT_SECONDS): `abandoned` are the steps whose compensation was still open. */
  'run.compensation_timed_out': { code: 'compensation_timeout'; abandoned: string[] };
  /** A failed (or cancelled) run started rolling back: `steps` are the compensations due. */
  'run.compensating': RunTransitionData & { steps: string[]; outcome: 'failed' | 'cancelled' };
  'approval.requested': { approvalId: string; kind: string; prompt: string | null; expiresAt: Date | null };
  'approval.decided': Transition & { approvalId: string; kind: string; decision: string | null; decidedBy: unknown };
  'approval.expired': Transition & { approvalId: string; kind: string; decision: string | null; decidedBy: unknown };
  /** A bus message sent on behalf of the run (its `run_id`), logged with the message (issue 14). */
  'message.sent': { messageId: string; sender: string; kind: string; type: string; to: { agent: string } | { topic: string }; correlationId: string | null; recipients: string[] };
  /** A recipient acknowledged (pull) or accepted (push) a message sent on behalf of the run: the delivery's `ack` move. */
  'message.delivered': Transition & { messageId: string; deliveryId: string; recipient: string; via: 'pull' | 'push' };
  'a2a.message_received': { messageId: string; parts: unknown[]; metadata?: Record<string, unknown> };
  /** A workflow's execution (a run) was started through `POST /api/v1/workflows/:id/execute`. */
  'workflow.execution_started': { workflowId: string; executionId: string; definition: { id: string; name: string; version: string }; agents: Array<{ type: string; count: number }> };
  /** A step of a workflow execution started an attempt on its agent (`servedBy`: the one chosen). */
  'agent.task_assigned': { workflowId: string; executionId: string; agent: string | null; servedBy: string | null; attempt: number };
  /** The execution's state was recorded (on pause): what is done, what is left, how to go on. */
  'workflow.checkpoint_created': {
    workflowId: string;
    executionId: string;
    checkpointId: string;
    reason: 'paused';
    snapshot: WorkflowSnapshot;
    recovery: { method: 'POST'; url: string; instructions: string };
  };
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
