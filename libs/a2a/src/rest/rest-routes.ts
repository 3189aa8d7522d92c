import { A2A_CODES, errorInDialect, type RpcErrorBody } from '../rpc/a2a-rpc-error.js';

/**
 * A2A v1.0's HTTP+JSON binding, as a table: each route names the JSON-RPC method with the
 * same semantics and how its params are read from path, query and body. The controller
 * (`a2a-rest.controller.ts`) runs the method through the same JSON-RPC service, so both
 * bindings share every rule, check and error.
 */
export interface RestCall {
  method: string;
  params: Record<string, unknown>;
  /** The success status (201 for a created push config, 204 for a delete). */
  status: 200 | 201 | 204;
  stream?: boolean;
}

type Query = Record<string, unknown>;

/** The call for `verb` on `path` (below `/a2a/v1`), or null when no route matches. */
export function restCallOf(verb: string, path: string, query: Query, body: unknown): RestCall | null {
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  const payload = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const [first, second, third, fourth] = segments;
  if (segments.length === 1 && verb === 'POST' && first === 'message:send') return { method: 'SendMessage', params: payload, status: 200 };
  if (segments.length === 1 && verb === 'POST' && first === 'message:stream') return { method: 'SendStreamingMessage', params: payload, status: 200, stream: true };
  if (segments.length === 1 && verb === 'GET' && first === 'extendedAgentCard') return { method: 'GetExtendedAgentCard', params: {}, status: 200 };
  if (first !== 'tasks') return null;
  if (segments.length === 1 && verb === 'GET') return { method: 'ListTasks', params: listParams(query), status: 200 };
  if (!second) return null;
  if (segments.length === 2) {
    const [id, action] = splitAction(second);
    if (!action && verb === 'GET') return { method: 'GetTask', params: withHistory({ id }, query), status: 200 };
    if (action === 'cancel' && verb === 'POST') return { method: 'CancelTask', params: { id }, status: 200 };
    if (action === 'subscribe' && (verb === 'GET' || verb === 'POST')) return { method: 'SubscribeToTask', params: { id }, status: 200, stream: true };
    return null;
  }
  if (third !== 'pushNotificationConfigs') return null;
  if (segments.length === 3 && verb === 'POST') return { method: 'CreateTaskPushNotificationConfig', params: { ...payload, taskId: second }, status: 201 };
  if (segments.length === 3 && verb === 'GET') return { method: 'ListTaskPushNotificationConfigs', params: { taskId: second }, status: 200 };
  if (segments.length === 4 && verb === 'GET') return { method: 'GetTaskPushNotificationConfig', params: { taskId: second, id: fourth }, status: 200 };
  if (segments.length === 4 && verb === 'DELETE') return { method: 'DeleteTaskPushNotificationConfig', params: { taskId: second, id: fourth }, status: 204 };
  return null;
}

/** `{id}:cancel` → [id, 'cancel']; the id is a UUID, so its last colon starts the action. */
function splitAction(segment: string): [string, string | undefined] {
  const colon = segment.lastIndexOf(':');
  return colon > 0 ? [segment.slice(0, colon), segment.slice(colon + 1)] : [segment, undefined];
}

function withHistory(params: Record<string, unknown>, query: Query): Record<string, unknown> {
  if (typeof query.historyLength === 'string') params.historyLength = numberOrText(query.historyLength);
  return params;
}

/** ListTasks from the query string; numbers and booleans arrive as text. */
function listParams(query: Query): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const key of ['contextId', 'status', 'pageToken', 'statusTimestampAfter']) if (typeof query[key] === 'string') params[key] = query[key];
  if (typeof query.pageSize === 'string') params.pageSize = numberOrText(query.pageSize);
  if (typeof query.historyLength === 'string') params.historyLength = numberOrText(query.historyLength);
  if (typeof query.includeArtifacts === 'string') params.includeArtifacts = query.includeArtifacts === 'true';
  return params;
}

function numberOrText(value: string): number | string {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** HTTP status and `google.rpc.Code` name per error (A2A v1.0 HTTP+JSON error mapping). */
const HTTP_OF: Record<number, [number, string]> = {
  [A2A_CODES.parseError]: [400, 'INVALID_ARGUMENT'],
  [A2A_CODES.invalidRequest]: [400, 'INVALID_ARGUMENT'],
  [A2A_CODES.methodNotFound]: [404, 'NOT_FOUND'],
  [A2A_CODES.invalidParams]: [400, 'INVALID_ARGUMENT'],
  [A2A_CODES.internalError]: [500, 'INTERNAL'],
  [A2A_CODES.taskNotFound]: [404, 'NOT_FOUND'],
  [A2A_CODES.taskNotCancelable]: [409, 'FAILED_PRECONDITION'],
  [A2A_CODES.pushNotificationNotSupported]: [400, 'FAILED_PRECONDITION'],
  [A2A_CODES.unsupportedOperation]: [400, 'FAILED_PRECONDITION'],
  [A2A_CODES.contentTypeNotSupported]: [415, 'INVALID_ARGUMENT'],
  [A2A_CODES.extendedCardNotConfigured]: [400, 'FAILED_PRECONDITION'],
  [A2A_CODES.versionNotSupported]: [400, 'FAILED_PRECONDITION'],
  [A2A_CODES.forbidden]: [403, 'PERMISSION_DENIED'],
};

/**
 * An error as the HTTP+JSON binding answers it (AIP-193): the HTTP status, and
 * `{ error: { code, status, message, details } }` with the same ErrorInfo details as v1.0
 * JSON-RPC.
 */
export function restError(error: RpcErrorBody): { status: number; body: Record<string, unknown> } {
  const [status, name] = HTTP_OF[error.code] ?? [500, 'UNKNOWN'];
  const shaped = errorInDialect('1.0', error);
  return { status, body: { error: { code: status, status: name, message: error.message, details: shaped.data ?? [] } } };
}
