import type { PartView, TaskEvent, TaskStateName, TaskView } from '../tasks/task-view.js';

export type ProtocolVersion = '0.3' | '1.0';

/** A message from the caller, whichever dialect carried it. */
export interface InboundMessage {
  messageId: string;
  taskId?: string;
  contextId?: string;
  parts: PartView[];
  metadata: Record<string, unknown>;
}

export interface SendParams {
  message: InboundMessage;
  /** Wait for a terminal or input-required state (bounded) before answering. */
  blocking: boolean;
  metadata: Record<string, unknown>;
}

export interface ListParams {
  contextId?: string;
  state?: TaskStateName;
  pageSize: number;
  pageToken?: string;
  includeArtifacts: boolean;
}

export interface ListResult {
  tasks: TaskView[];
  nextPageToken: string;
  pageSize: number;
}

/** The method names of one dialect. */
export interface DialectMethods {
  send: string;
  stream: string;
  get: string;
  cancel: string;
  subscribe: string;
  list?: string;
  /** Push-notification config methods: answered with PushNotificationNotSupported. */
  push: string[];
}

/**
 * One protocol version's wire format: parses params into the neutral shapes and renders
 * task views back. Everything else (what a message means, runs, waiting) is shared.
 */
export interface Dialect {
  readonly version: ProtocolVersion;
  readonly methods: DialectMethods;
  parseSend(params: unknown): SendParams;
  /** The task id of get / cancel / subscribe params. */
  parseTaskId(params: unknown): string;
  parseList(params: unknown): ListParams;
  renderTask(view: TaskView): unknown;
  renderSendResult(view: TaskView): unknown;
  renderEvent(event: TaskEvent): unknown;
  renderList(result: ListResult): unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
