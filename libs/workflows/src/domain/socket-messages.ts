import type { RunEvent } from '@baton/events';
import { phaseOf } from './phases.js';

/** A message of the workflow socket: the seed's envelope, plus the cursor to resume after it. */
export interface WorkflowSocketMessage {
  type: 'workflow.status_changed' | 'agent.assigned' | 'task.started' | 'task.completed' | 'error.occurred' | 'checkpoint.created';
  workflow_id: string;
  execution_id: string | null;
  timestamp: string;
  data: Record<string, unknown>;
  /** The event's global position: reconnect with `?after=<cursor>` to continue after it. */
  cursor: string | null;
}

const STATUS_EVENTS = ['run.started', 'run.paused', 'run.resumed', 'run.waiting', 'run.retried', 'run.completed', 'run.failed', 'run.cancelled', 'run.compensating'];

/**
 * The log's event types the socket reads: those it maps to a message, and `run.created`,
 * which tells it that a run of the workflow's definition began (nothing is sent for it).
 */
export const SOCKET_EVENT_TYPES: readonly string[] = [
  'run.created',
  ...STATUS_EVENTS,
  'workflow.execution_started',
  'agent.task_assigned',
  'step.started',
  'step.completed',
  'step.failed',
  'step.retrying',
  'workflow.checkpoint_created',
];

type Data = Record<string, unknown>;

/** The socket message for a log event of one of the workflow's runs; undefined: none is sent. */
export function socketMessageOf(workflowId: string, event: RunEvent, cursor: string): WorkflowSocketMessage | undefined {
  const mapped = mapEvent(event, event.data ?? {});
  if (!mapped) return undefined;
  const timestamp = event.createdAt instanceof Date ? event.createdAt.toISOString() : String(event.createdAt);
  return { type: mapped.type, workflow_id: workflowId, execution_id: event.runId, timestamp, data: { ...mapped.data, event: event.type, seq: event.seq }, cursor };
}

function mapEvent(event: RunEvent, d: Data): Pick<WorkflowSocketMessage, 'type' | 'data'> | undefined {
  const task = { task_id: event.stepKey, agent: d.agent ?? null, served_by: d.servedBy ?? null, attempt: d.attempt ?? null };
  switch (event.type) {
    case 'workflow.execution_started':
      return { type: 'workflow.status_changed', data: { phase: 'planning', run_status: 'pending', agents: d.agents } };
    case 'agent.task_assigned':
      return { type: 'agent.assigned', data: task };
    case 'step.started':
      return { type: 'task.started', data: task };
    case 'step.completed':
      return { type: 'task.completed', data: { ...task, duration_ms: d.durationMs ?? null, cache_hit: d.cacheHit === true } };
    case 'step.failed':
      return { type: 'error.occurred', data: { scope: 'task', ...task, error: d.error, final: true } };
    case 'step.retrying':
      return { type: 'error.occurred', data: { scope: 'task', ...task, error: d.error, final: false, retry_in_ms: d.delayMs } };
    case 'workflow.checkpoint_created':
      return { type: 'checkpoint.created', data: { checkpoint_id: d.checkpointId, reason: d.reason, snapshot: d.snapshot, recovery: d.recovery } };
    default:
      if (!STATUS_EVENTS.includes(event.type)) return undefined;
      return {
        type: 'workflow.status_changed',
        data: { phase: phaseOf(String(d.to)), run_status: d.to, previous_phase: phaseOf(String(d.from)), ...(d.error ? { error: d.error } : {}) },
      };
  }
}
