import {
  GetTaskRequest,
  ListTasksRequest,
  ListTasksResponse,
  Role,
  SendMessageRequest,
  SendMessageResponse,
  StreamResponse,
  Task,
  TaskState,
  type Artifact,
  type Message,
  type Part,
  type TaskStatus,
} from '@a2a-js/sdk';
import { A2aRpcError } from '../rpc/a2a-rpc-error.js';
import type { ArtifactView, FileView, MessageView, PartView, TaskEvent, TaskStateName, TaskView } from '../tasks/task-view.js';
import { answerMessage, isTerminalState } from '../tasks/task-view.js';
import { assertRole, isRecord, readHistoryLength, type Dialect, type ListParams, type SendParams } from './dialect.js';
import { configFromV10, pushV10 } from './push-v10.js';

/**
 * A2A v1.0 (PascalCase methods, `TASK_STATE_*`, no `kind` fields), selected by the header
 * `A2A-Version: 1.0`. Params are read and results written with the official SDK's codecs
 * (`SendMessageRequest.fromJSON`, `Task.toJSON`, ...), so the JSON is the protobuf JSON
 * mapping the SDK's own client and server use.
 */
export const dialectV10: Dialect = {
  version: '1.0',
  methods: {
    send: 'SendMessage',
    stream: 'SendStreamingMessage',
    get: 'GetTask',
    cancel: 'CancelTask',
    subscribe: 'SubscribeToTask',
    list: 'ListTasks',
    extendedCard: 'GetExtendedAgentCard',
    push: {
      create: 'CreateTaskPushNotificationConfig',
      get: 'GetTaskPushNotificationConfig',
      list: 'ListTaskPushNotificationConfigs',
      delete: 'DeleteTaskPushNotificationConfig',
    },
  },
  ...pushV10,

  parseSend(params: unknown): SendParams {
    if (!isRecord(params)) throw A2aRpcError.invalidParams('params', 'must be an object');
    if (!isRecord(params.message)) throw A2aRpcError.invalidParams('params.message', 'is required');
    assertRole(params.message.role, ['ROLE_USER', 'ROLE_AGENT', 1, 2], 'params.message.role');
    if (!Array.isArray(params.message.parts) || params.message.parts.length === 0) throw A2aRpcError.invalidParams('params.message.parts', 'must hold at least one part');
    const configuration = isRecord(params.configuration) ? params.configuration : {};
    const historyLength = readHistoryLength(configuration.historyLength, 'params.configuration.historyLength');
    const request = decode(() => SendMessageRequest.fromJSON(params));
    const message = request.message!;
    if (!message.messageId) throw A2aRpcError.invalidParams('params.message.messageId', 'is required');
    if (message.parts.length === 0) throw A2aRpcError.invalidParams('params.message.parts', 'must hold at least one part');
    const push = request.configuration?.taskPushNotificationConfig;
    return {
      pushConfig: push ? configFromV10(push, 'params.configuration.taskPushNotificationConfig') : undefined,
      message: {
        messageId: message.messageId,
        taskId: message.taskId || undefined,
        contextId: message.contextId || undefined,
        parts: message.parts.map((part, i) => parsePart(part, `params.message.parts[${i}]`)),
        metadata: message.metadata ?? {},
      },
      // v1.0: blocking unless `configuration.returnImmediately` is true.
      blocking: request.configuration?.returnImmediately !== true,
      historyLength,
      acceptedOutputModes: request.configuration?.acceptedOutputModes ?? [],
      metadata: request.metadata ?? {},
    };
  },

  parseTaskId(params: unknown): string {
    if (isRecord(params)) readHistoryLength(params.historyLength, 'params.historyLength');
    const id = isRecord(params) ? decode(() => GetTaskRequest.fromJSON(params)).id : '';
    if (!id) throw A2aRpcError.invalidParams('params.id', 'is required');
    return id;
  },

  parseList(params: unknown): ListParams {
    const request = decode(() => ListTasksRequest.fromJSON(isRecord(params) ? params : {}));
    const pageSize = request.pageSize ?? 50;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw A2aRpcError.invalidParams('params.pageSize', 'must be an integer from 1 to 100');
    const state = request.status ? STATE_NAMES.get(request.status) : undefined;
    if (request.status && !state) throw A2aRpcError.invalidParams('params.status', 'is not a state Baton tasks take');
    return {
      contextId: request.contextId || undefined,
      state,
      pageSize,
      pageToken: request.pageToken || undefined,
      includeArtifacts: request.includeArtifacts === true,
      historyLength: readHistoryLength(isRecord(params) ? params.historyLength : undefined, 'params.historyLength'),
    };
  },

  renderTask: (view) => Task.toJSON(task(view)),
  renderSendResult: (view, asMessage) =>
    SendMessageResponse.toJSON({ payload: asMessage ? { $case: 'message', value: historyMessage(view, answerMessage(view)) } : { $case: 'task', value: task(view) } }),
  renderEvent(event: TaskEvent): unknown {
    switch (event.kind) {
      case 'task':
        return StreamResponse.toJSON({ payload: { $case: 'task', value: task(event.task) } });
      case 'status':
        return StreamResponse.toJSON({
          payload: { $case: 'statusUpdate', value: { taskId: event.task.id, contextId: event.task.contextId, status: status(event.task), metadata: undefined } },
        });
      case 'artifact':
        return StreamResponse.toJSON({
          payload: {
            $case: 'artifactUpdate',
            value: { taskId: event.task.id, contextId: event.task.contextId, artifact: artifact(event.artifact), append: false, lastChunk: true, metadata: undefined },
          },
        });
    }
  },
  renderList: (result) =>
    ListTasksResponse.toJSON({ tasks: result.tasks.map(task), nextPageToken: result.nextPageToken, pageSize: result.pageSize, totalSize: result.tasks.length }),
  /**
   * As the SDK's V1PushNotificationSerializer: a StreamResponse as JSON, `application/a2a+json`.
   * A status update for each change; the whole task once it is terminal, so the receiver has
   * the artifacts without asking.
   */
  renderPushNotification: (view) => ({
    body: JSON.stringify(dialectV10.renderEvent(isTerminalState(view.state) ? { kind: 'task', task: view } : { kind: 'status', task: view, final: false })),
    contentType: 'application/a2a+json',
  }),
};

const STATES: Record<TaskStateName, TaskState> = {
  submitted: TaskState.TASK_STATE_SUBMITTED,
  working: TaskState.TASK_STATE_WORKING,
  'input-required': TaskState.TASK_STATE_INPUT_REQUIRED,
  completed: TaskState.TASK_STATE_COMPLETED,
  failed: TaskState.TASK_STATE_FAILED,
  canceled: TaskState.TASK_STATE_CANCELED,
};
const STATE_NAMES = new Map<TaskState, TaskStateName>(Object.entries(STATES).map(([name, state]) => [state, name as TaskStateName]));

function task(view: TaskView): Task {
  return { id: view.id, contextId: view.contextId, status: status(view), artifacts: view.artifacts.map(artifact), history: (view.history ?? []).map((m) => historyMessage(view, m)), metadata: view.metadata };
}

function historyMessage(view: TaskView, message: MessageView): Message {
  return {
    messageId: message.messageId,
    contextId: view.contextId,
    taskId: view.id,
    role: message.role === 'user' ? Role.ROLE_USER : Role.ROLE_AGENT,
    parts: message.parts.map(part),
    metadata: message.metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

function status(view: TaskView): TaskStatus {
  const message: Message | undefined = view.message
    ? {
        messageId: `${view.id}-${view.state}-${view.timestamp}`,
        contextId: view.contextId,
        taskId: view.id,
        role: Role.ROLE_AGENT,
        parts: view.message.map(part),
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
      }
    : undefined;
  return { state: STATES[view.state], message, timestamp: view.timestamp };
}

function artifact(view: ArtifactView): Artifact {
  return { artifactId: view.artifactId, name: view.name, description: '', parts: view.parts.map(part), metadata: undefined, extensions: [] };
}

function part(view: PartView): Part {
  switch (view.kind) {
    case 'text':
      return { content: { $case: 'text', value: view.text }, metadata: undefined, filename: '', mediaType: '' };
    case 'data':
      return { content: { $case: 'data', value: view.data }, metadata: undefined, filename: '', mediaType: 'application/json' };
    case 'file':
      return {
        content: view.file.uri !== undefined ? { $case: 'url', value: view.file.uri } : { $case: 'raw', value: Buffer.from(view.file.bytes ?? '', 'base64') },
        metadata: undefined,
        filename: view.file.name ?? '',
        mediaType: view.file.mediaType ?? '',
      };
  }
}

/**
 * Text and data parts, and files (bytes or URL, any media type). A text part whose media
 * type is not text, or a data part whose media type is not JSON, is one Baton cannot take:
 * -32005 (ContentTypeNotSupported) naming it.
 */
function parsePart(value: Part, path: string): PartView {
  const mediaType = value.mediaType?.split(';')[0]?.trim().toLowerCase() ?? '';
  switch (value.content?.$case) {
    case 'text':
      if (mediaType && !mediaType.startsWith('text/')) throw A2aRpcError.contentType(`${path}.mediaType: a text part of ${mediaType} cannot be taken`, `${path}.mediaType`);
      return { kind: 'text', text: value.content.value };
    case 'data':
      if (mediaType && mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
        throw A2aRpcError.contentType(`${path}.mediaType: a data part of ${mediaType} cannot be taken (JSON only)`, `${path}.mediaType`);
      }
      return { kind: 'data', data: value.content.value ?? null };
    case 'raw':
      return { kind: 'file', file: withMeta({ bytes: Buffer.from(value.content.value).toString('base64') }, value) };
    case 'url':
      if (!value.content.value) throw A2aRpcError.invalidParams(`${path}.url`, 'must not be empty');
      return { kind: 'file', file: withMeta({ uri: value.content.value }, value) };
    default:
      throw A2aRpcError.invalidParams(path, 'must hold text, data, raw or url');
  }
}

function withMeta(file: FileView, value: Part): FileView {
  if (value.filename) file.name = value.filename;
  if (value.mediaType) file.mediaType = value.mediaType;
  return file;
}

function decode<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw A2aRpcError.invalidParams('params', (error as Error).message);
  }
}
