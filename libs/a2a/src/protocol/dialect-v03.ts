import { A2aRpcError } from '../rpc/a2a-rpc-error.js';
import { answerMessage, type ArtifactView, type FileView, type PartView, type TaskEvent, type TaskStateName, type TaskView } from '../tasks/task-view.js';
import { assertRole, isRecord, readHistoryLength, type Dialect, type ListParams, type SendParams } from './dialect.js';
import { parseConfigV03, pushV03 } from './push-v03.js';

/**
 * A2A v0.3 (`message/send`, `kind` discriminators, lower-case states, `final` on status
 * updates). The default when a request carries no `A2A-Version` header. v0.3 has no
 * `tasks/list`, so listing is v1.0 only.
 */
export const dialectV03: Dialect = {
  version: '0.3',
  methods: {
    send: 'message/send',
    stream: 'message/stream',
    get: 'tasks/get',
    cancel: 'tasks/cancel',
    subscribe: 'tasks/resubscribe',
    extendedCard: 'agent/getAuthenticatedExtendedCard',
    push: {
      create: 'tasks/pushNotificationConfig/set',
      get: 'tasks/pushNotificationConfig/get',
      list: 'tasks/pushNotificationConfig/list',
      delete: 'tasks/pushNotificationConfig/delete',
    },
  },
  ...pushV03,

  parseSend(params: unknown): SendParams {
    if (!isRecord(params)) throw A2aRpcError.invalidParams('params', 'must be an object');
    const message = params.message;
    if (!isRecord(message)) throw A2aRpcError.invalidParams('params.message', 'is required');
    if (typeof message.messageId !== 'string' || !message.messageId) throw A2aRpcError.invalidParams('params.message.messageId', 'is required');
    assertRole(message.role, ['user', 'agent'], 'params.message.role');
    if (!Array.isArray(message.parts) || message.parts.length === 0) throw A2aRpcError.invalidParams('params.message.parts', 'must hold at least one part');
    const parts = message.parts.map((part, i) => parsePart(part, `params.message.parts[${i}]`));
    const configuration = isRecord(params.configuration) ? params.configuration : {};
    const historyLength = readHistoryLength(configuration.historyLength, 'params.configuration.historyLength');
    const accepted = configuration.acceptedOutputModes;
    if (accepted !== undefined && !(Array.isArray(accepted) && accepted.every((m) => typeof m === 'string'))) {
      throw A2aRpcError.invalidParams('params.configuration.acceptedOutputModes', 'must be an array of strings');
    }
    const push = configuration.pushNotificationConfig;
    return {
      pushConfig: push === undefined || push === null ? undefined : parseConfigV03(push, 'params.configuration.pushNotificationConfig'),
      message: {
        messageId: message.messageId,
        taskId: optionalString(message.taskId, 'params.message.taskId'),
        contextId: optionalString(message.contextId, 'params.message.contextId'),
        parts,
        metadata: isRecord(message.metadata) ? message.metadata : {},
      },
      // v0.3: blocking unless the caller says `blocking: false`.
      blocking: configuration.blocking !== false,
      historyLength,
      acceptedOutputModes: (accepted as string[] | undefined) ?? [],
      metadata: isRecord(params.metadata) ? params.metadata : {},
    };
  },

  parseTaskId(params: unknown): string {
    if (!isRecord(params) || typeof params.id !== 'string' || !params.id) throw A2aRpcError.invalidParams('params.id', 'is required');
    readHistoryLength(params.historyLength, 'params.historyLength');
    return params.id;
  },

  parseList(): ListParams {
    throw A2aRpcError.unsupported('tasks/list is not part of A2A v0.3; send A2A-Version: 1.0 and call ListTasks');
  },

  renderTask: (view) => task(view),
  renderSendResult: (view, asMessage) => {
    if (!asMessage) return task(view);
    const message = answerMessage(view);
    return { kind: 'message', role: 'agent', messageId: message.messageId, taskId: view.id, contextId: view.contextId, parts: message.parts.map(part) };
  },
  renderEvent(event: TaskEvent): unknown {
    switch (event.kind) {
      case 'task':
        return task(event.task);
      case 'status':
        return { kind: 'status-update', taskId: event.task.id, contextId: event.task.contextId, status: status(event.task), final: event.final };
      case 'artifact':
        return { kind: 'artifact-update', taskId: event.task.id, contextId: event.task.contextId, artifact: artifact(event.artifact), lastChunk: true };
    }
  },
  renderList: () => {
    throw A2aRpcError.unsupported('tasks/list is not part of A2A v0.3');
  },
  /** As the SDK's V03PushNotificationSerializer: the Task, as JSON. */
  renderPushNotification: (view) => ({ body: JSON.stringify(task(view)), contentType: 'application/json' }),
};

const STATES: Record<TaskStateName, string> = {
  submitted: 'submitted',
  working: 'working',
  'input-required': 'input-required',
  completed: 'completed',
  failed: 'failed',
  canceled: 'canceled',
};

function task(view: TaskView): Record<string, unknown> {
  return {
    kind: 'task',
    id: view.id,
    contextId: view.contextId,
    status: status(view),
    artifacts: view.artifacts.map(artifact),
    history: (view.history ?? []).map((message) => {
      const rendered: Record<string, unknown> = { kind: 'message', role: message.role, messageId: message.messageId, taskId: view.id, contextId: view.contextId, parts: message.parts.map(part) };
      if (message.metadata) rendered.metadata = message.metadata;
      return rendered;
    }),
    metadata: view.metadata,
  };
}

function status(view: TaskView): Record<string, unknown> {
  const result: Record<string, unknown> = { state: STATES[view.state], timestamp: view.timestamp };
  if (view.message) {
    result.message = {
      kind: 'message',
      role: 'agent',
      messageId: `${view.id}-${view.state}-${view.timestamp}`,
      taskId: view.id,
      contextId: view.contextId,
      parts: view.message.map(part),
    };
  }
  return result;
}

function artifact(view: ArtifactView): Record<string, unknown> {
  return { artifactId: view.artifactId, name: view.name, parts: view.parts.map(part) };
}

/** v0.3 data parts hold an object; any other JSON value is wrapped as `{ value }`. */
function part(view: PartView): Record<string, unknown> {
  if (view.kind === 'text') return { kind: 'text', text: view.text };
  if (view.kind === 'file') {
    const file: Record<string, unknown> = view.file.uri !== undefined ? { uri: view.file.uri } : { bytes: view.file.bytes ?? '' };
    if (view.file.name) file.name = view.file.name;
    if (view.file.mediaType) file.mimeType = view.file.mediaType;
    return { kind: 'file', file };
  }
  return isRecord(view.data) ? { kind: 'data', data: view.data } : { kind: 'data', data: { value: view.data }, metadata: { wrapped: true } };
}

function parsePart(value: unknown, path: string): PartView {
  if (!isRecord(value)) throw A2aRpcError.invalidParams(path, 'must be an object');
  if (value.kind === 'text') {
    if (typeof value.text !== 'string') throw A2aRpcError.invalidParams(`${path}.text`, 'must be a string');
    return { kind: 'text', text: value.text };
  }
  if (value.kind === 'data') {
    if (!isRecord(value.data)) throw A2aRpcError.invalidParams(`${path}.data`, 'must be an object');
    return { kind: 'data', data: value.data };
  }
  if (value.kind === 'file') return { kind: 'file', file: parseFile(value.file, `${path}.file`) };
  throw A2aRpcError.invalidParams(`${path}.kind`, 'must be text, data or file');
}

/** A v0.3 `FileWithBytes` or `FileWithUri`: exactly one of `bytes` (base64) and `uri`. */
function parseFile(value: unknown, path: string): FileView {
  if (!isRecord(value)) throw A2aRpcError.invalidParams(path, 'must be an object');
  const hasBytes = typeof value.bytes === 'string';
  const hasUri = typeof value.uri === 'string' && value.uri !== '';
  if (hasBytes === hasUri) throw A2aRpcError.invalidParams(path, 'must hold exactly one of bytes (base64) and uri');
  if (hasBytes && !/^[A-Za-z0-9+/]*={0,2}$/.test(value.bytes as string)) throw A2aRpcError.invalidParams(`${path}.bytes`, 'must be base64');
  const file: FileView = hasBytes ? { bytes: value.bytes as string } : { uri: value.uri as string };
  if (value.name !== undefined) {
    if (typeof value.name !== 'string') throw A2aRpcError.invalidParams(`${path}.name`, 'must be a string');
    file.name = value.name;
  }
  if (value.mimeType !== undefined) {
    if (typeof value.mimeType !== 'string') throw A2aRpcError.invalidParams(`${path}.mimeType`, 'must be a string');
    file.mediaType = value.mimeType;
  }
  return file;
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw A2aRpcError.invalidParams(path, 'must be a string');
  return value;
}
