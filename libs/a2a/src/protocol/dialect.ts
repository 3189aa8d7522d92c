import { A2aRpcError } from '../rpc/a2a-rpc-error.js';
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

/** A push-notification config as a caller gives it (either dialect). */
export interface PushConfigInput {
  /** The caller's id for it; generated when absent. */
  id?: string;
  url: string;
  /** Sent back as `X-A2A-Notification-Token`. */
  token?: string;
  /** Recorded; with credentials, sent as `Authorization: <scheme> <credentials>`. */
  authentication?: { schemes: string[]; credentials?: string };
}

/** A stored push config, as get/list answer it. */
export interface PushConfigView extends PushConfigInput {
  id: string;
  taskId: string;
}

/** A push notification's body and content type (what the SDK's serializers produce). */
export interface PushBody {
  body: string;
  contentType: string;
}

export interface SendParams {
  message: InboundMessage;
  /** An inline push config (v1.0 `configuration.taskPushNotificationConfig`, v0.3 `configuration.pushNotificationConfig`). */
  pushConfig?: PushConfigInput;
  /** Wait for a terminal or input-required state (bounded) before answering. */
  blocking: boolean;
  /** How many history messages the answer carries (absent: all). */
  historyLength?: number;
  /** `configuration.acceptedOutputModes`: the media types the caller takes (empty: any). */
  acceptedOutputModes: string[];
  metadata: Record<string, unknown>;
}

export interface ListParams {
  contextId?: string;
  state?: TaskStateName;
  pageSize: number;
  pageToken?: string;
  includeArtifacts: boolean;
  /** Each task's last N history messages; absent: none. */
  historyLength?: number;
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
  /** The authenticated extended card (v1.0 `GetExtendedAgentCard`, v0.3 `agent/getAuthenticatedExtendedCard`). */
  extendedCard: string;
  /** Push-notification config methods. */
  push: { create: string; get: string; list: string; delete: string };
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
  /** A send's answer: the task, or (`asMessage`) one agent message carrying its artifacts' parts. */
  renderSendResult(view: TaskView, asMessage?: boolean): unknown;
  renderEvent(event: TaskEvent): unknown;
  renderList(result: ListResult): unknown;
  /** Create (v0.3 `set`) params: the task and the config. */
  parsePushCreate(params: unknown): { taskId: string; config: PushConfigInput };
  /** Get / delete params: the task and the config id (absent: v0.3 get of the task's only config). */
  parsePushRef(params: unknown): { taskId: string; configId?: string };
  /** List params: the task. */
  parsePushList(params: unknown): string;
  renderPushConfig(view: PushConfigView): unknown;
  renderPushList(views: PushConfigView[]): unknown;
  /** A push notification for the task as it is in `view` (terminal: the final one). */
  renderPushNotification(view: TaskView): PushBody;
}

/** `historyLength`: absent, or an integer ≥ 0 (-32602 naming `path` otherwise). */
export function readHistoryLength(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw A2aRpcError.invalidParams(path, 'must be an integer of 0 or more');
  return value;
}

/** A message's `role`: one of `allowed` (-32602 naming `path` when missing or unknown). */
export function assertRole(value: unknown, allowed: readonly unknown[], path: string): void {
  if (value === undefined || value === null || value === '') throw A2aRpcError.invalidParams(path, 'is required');
  if (!allowed.includes(value)) throw A2aRpcError.invalidParams(path, `must be one of ${allowed.filter((r) => typeof r === 'string').join(', ')}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
