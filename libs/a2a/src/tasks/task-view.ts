import type { Approval } from '@baton/approvals';
import type { Run } from '@baton/runs';

/**
 * A2A's view of a run, independent of the protocol dialect: the dialect renderers
 * (`protocol/dialect-v03.ts`, `protocol/dialect-v10.ts`) turn it into wire JSON.
 */
export type TaskStateName = 'submitted' | 'working' | 'input-required' | 'completed' | 'failed' | 'canceled';

/** A file part: its content inline (`bytes`, base64) or by reference (`uri`). */
export interface FileView {
  name?: string;
  mediaType?: string;
  bytes?: string;
  uri?: string;
}

export type PartView = { kind: 'text'; text: string } | { kind: 'data'; data: unknown } | { kind: 'file'; file: FileView };

/** A message of a task's history: one the caller sent (`user`) or Baton answered (`agent`). */
export interface MessageView {
  messageId: string;
  role: 'user' | 'agent';
  parts: PartView[];
  metadata?: Record<string, unknown>;
}

export interface ArtifactView {
  artifactId: string;
  name: string;
  parts: PartView[];
}

export interface TaskView {
  id: string;
  contextId: string;
  state: TaskStateName;
  /** When the run last changed (ISO 8601). */
  timestamp: string;
  /** The status message's parts (the agent role): an error, a question, a note. */
  message?: PartView[];
  artifacts: ArtifactView[];
  metadata: Record<string, unknown>;
  /** The conversation within this task, oldest first, when the answer asks for it. */
  history?: MessageView[];
}

/** A change a stream delivers: the task first, then status and artifact updates. */
export type TaskEvent =
  | { kind: 'task'; task: TaskView }
  | { kind: 'status'; task: TaskView; final: boolean }
  | { kind: 'artifact'; task: TaskView; artifact: ArtifactView };

const TERMINAL: ReadonlySet<TaskStateName> = new Set(['completed', 'failed', 'canceled']);

export function isTerminalState(state: TaskStateName): boolean {
  return TERMINAL.has(state);
}

/** Terminal, or interrupted waiting on the caller: a blocking send returns, a stream ends. */
export function isSettledState(state: TaskStateName): boolean {
  return TERMINAL.has(state) || state === 'input-required';
}

/** The caller's contextId kept on the run, else the run id (runs started elsewhere). */
export function contextIdOf(run: Run): string {
  const value = run.metadata?.contextId;
  return typeof value === 'string' && value ? value : run.id;
}

/**
 * Maps a run (and its open approval, if any) to a task.
 *
 * - pending → submitted; running → working; completed/failed/cancelled → the same.
 * - waiting with an open approval → input-required (the approval's prompt and payload are
 *   the status message); waiting on a child run → working.
 * - paused → working with a note: A2A has no paused state, and input-required would invite
 *   the caller to send input that cannot resume the run (an operator resumes it).
 */
export function toTaskView(run: Run, pending: Approval | null): TaskView {
  const view: TaskView = {
    id: run.id,
    contextId: contextIdOf(run),
    state: 'working',
    timestamp: run.updatedAt.toISOString(),
    artifacts: [],
    metadata: {
      baton: {
        runId: run.id,
        status: run.status,
        definition: { name: run.definitionName, version: run.definitionVersion },
        stepsDone: run.stepsDone,
        stepsTotal: run.stepsTotal,
      },
    },
  };
  switch (run.status) {
    case 'pending':
      view.state = 'submitted';
      break;
    case 'running':
      break;
    case 'waiting':
      if (pending) {
        view.state = 'input-required';
        view.message = approvalMessage(pending);
      }
      break;
    case 'paused':
      view.message = [{ kind: 'text', text: 'paused by an operator; it continues when resumed' }];
      break;
    case 'completed':
      view.state = 'completed';
      view.artifacts = outputArtifacts(run.output);
      break;
    case 'failed':
      view.state = 'failed';
      view.message = errorMessage(run, 'failed');
      break;
    case 'cancelled':
      view.state = 'canceled';
      view.message = errorMessage(run, 'cancelled');
      break;
  }
  return view;
}

/** One artifact per output key (the run's sink steps), each a single part of the value's kind. */
export function outputArtifacts(output: Record<string, unknown> | null): ArtifactView[] {
  if (!output) return [];
  return Object.entries(output).map(([key, value]) => ({ artifactId: key, name: key, parts: [partOf(value)] }));
}

/**
 * A step output as a part: a string is a text part; `{ file: { name?, mediaType?, bytes? |
 * uri? } }` (exactly one of bytes, base64, and uri) is a file part; any other JSON a data part.
 */
export function partOf(value: unknown): PartView {
  if (typeof value === 'string') return { kind: 'text', text: value };
  const file = fileOf(value);
  return file ? { kind: 'file', file } : { kind: 'data', data: value ?? null };
}

function fileOf(value: unknown): FileView | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  const file = (value as { file?: unknown }).file;
  if (keys.length !== 1 || typeof file !== 'object' || file === null || Array.isArray(file)) return null;
  const f = file as Record<string, unknown>;
  const hasBytes = typeof f.bytes === 'string';
  const hasUri = typeof f.uri === 'string';
  if (hasBytes === hasUri) return null;
  const view: FileView = hasBytes ? { bytes: f.bytes as string } : { uri: f.uri as string };
  if (typeof f.name === 'string') view.name = f.name;
  const mediaType = typeof f.mediaType === 'string' ? f.mediaType : typeof f.mimeType === 'string' ? f.mimeType : undefined;
  if (mediaType) view.mediaType = mediaType;
  return view;
}

function approvalMessage(approval: Approval): PartView[] {
  const question = approval.prompt ?? (approval.kind === 'failure' ? `step ${approval.stepKey} failed: retry it?` : `approve step ${approval.stepKey}?`);
  return [
    { kind: 'text', text: question },
    {
      kind: 'data',
      data: {
        approvalId: approval.id,
        kind: approval.kind,
        stepId: approval.stepKey,
        payload: approval.payload ?? null,
        allowEdit: approval.allowEdit,
        schema: approval.schema,
        expiresAt: approval.expiresAt?.toISOString() ?? null,
        answer: 'send a message with taskId and a data part { decision: "approve" | "reject", payload?, comment? }',
      },
    },
  ];
}

function errorMessage(run: Run, what: string): PartView[] {
  const error = run.error;
  const text = error?.message ?? `run ${what}`;
  return error ? [{ kind: 'text', text }, { kind: 'data', data: error }] : [{ kind: 'text', text }];
}

/** What tells two views apart for a stream: state and status message. */
export function statusKey(view: TaskView): string {
  return JSON.stringify([view.state, view.message ?? null, (view.metadata.baton as { status?: string })?.status]);
}

/** A completed task's answer as one agent message: every artifact's parts, in order. */
export function answerMessage(view: TaskView): MessageView {
  return { messageId: `${view.id}-answer`, role: 'agent', parts: view.artifacts.flatMap((artifact) => artifact.parts) };
}
