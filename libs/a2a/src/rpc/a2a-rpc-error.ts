import { JSONRPCErrorException } from 'json-rpc-2.0';
import { BatonError } from '@baton/common';

/** The JSON-RPC error codes the gateway answers with (A2A v1.0 §5.4 and JSON-RPC 2.0). */
export const A2A_CODES = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  taskNotFound: -32001,
  taskNotCancelable: -32002,
  pushNotificationNotSupported: -32003,
  unsupportedOperation: -32004,
  contentTypeNotSupported: -32005,
  extendedCardNotConfigured: -32007,
  versionNotSupported: -32009,
  /** Implementation-defined (JSON-RPC reserves -32000..-32099): the caller's role lacks a permission. */
  forbidden: -32000,
} as const;

/** An error the gateway answers with; json-rpc-2.0 turns it into the response's `error`. */
export class A2aRpcError extends JSONRPCErrorException {
  static invalidParams(path: string, message: string): A2aRpcError {
    return new A2aRpcError(`${path}: ${message}`, A2A_CODES.invalidParams, { fields: [{ path, message }] });
  }

  static taskNotFound(id: string): A2aRpcError {
    return new A2aRpcError(`task ${id} was not found`, A2A_CODES.taskNotFound, { taskId: id });
  }

  static unsupported(message: string): A2aRpcError {
    return new A2aRpcError(message, A2A_CODES.unsupportedOperation);
  }

  static forbidden(message: string, permission: string): A2aRpcError {
    return new A2aRpcError(message, A2A_CODES.forbidden, { permission });
  }

  static contentType(message: string, path?: string): A2aRpcError {
    return new A2aRpcError(message, A2A_CODES.contentTypeNotSupported, path ? { fields: [{ path, message }] } : undefined);
  }
}

/** A JSON-RPC error before it is written in one dialect: `data` is Baton's plain object. */
export interface RpcErrorBody {
  code: number;
  message: string;
  data?: unknown;
}

/** `google.rpc.ErrorInfo.reason` per code (A2A v1.0 §5.4 names; -32000 is Baton's own). */
const REASONS: Record<number, string> = {
  [A2A_CODES.parseError]: 'PARSE_ERROR',
  [A2A_CODES.invalidRequest]: 'INVALID_REQUEST',
  [A2A_CODES.methodNotFound]: 'METHOD_NOT_FOUND',
  [A2A_CODES.invalidParams]: 'INVALID_PARAMS',
  [A2A_CODES.internalError]: 'INTERNAL_ERROR',
  [A2A_CODES.taskNotFound]: 'TASK_NOT_FOUND',
  [A2A_CODES.taskNotCancelable]: 'TASK_NOT_CANCELABLE',
  [A2A_CODES.pushNotificationNotSupported]: 'PUSH_NOTIFICATION_NOT_SUPPORTED',
  [A2A_CODES.unsupportedOperation]: 'UNSUPPORTED_OPERATION',
  [A2A_CODES.contentTypeNotSupported]: 'CONTENT_TYPE_NOT_SUPPORTED',
  [A2A_CODES.extendedCardNotConfigured]: 'EXTENDED_AGENT_CARD_NOT_CONFIGURED',
  [A2A_CODES.versionNotSupported]: 'VERSION_NOT_SUPPORTED',
  [A2A_CODES.forbidden]: 'PERMISSION_DENIED',
};

export const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';
export const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
export const A2A_ERROR_DOMAIN = 'a2a-protocol.org';

/**
 * The error as one dialect writes it. v0.3 keeps `data` a plain object (`{ fields }`,
 * `{ taskId }`, ...). v1.0 requires `data` to be an array of details: a `google.rpc.ErrorInfo`
 * (`reason`, `domain: "a2a-protocol.org"`, `metadata` as strings), and for bad fields a
 * `google.rpc.BadRequest` whose `fieldViolations` name them.
 */
export function errorInDialect(version: '0.3' | '1.0', error: RpcErrorBody): RpcErrorBody {
  if (version === '0.3') return error;
  const plain = error.data !== null && typeof error.data === 'object' && !Array.isArray(error.data) ? (error.data as Record<string, unknown>) : {};
  const { fields, ...rest } = plain;
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined && value !== null) metadata[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const info: Record<string, unknown> = { '@type': ERROR_INFO_TYPE, reason: REASONS[error.code] ?? 'UNKNOWN', domain: A2A_ERROR_DOMAIN };
  if (Object.keys(metadata).length > 0) info.metadata = metadata;
  const details: unknown[] = [info];
  if (Array.isArray(fields) && fields.length > 0) {
    details.push({
      '@type': BAD_REQUEST_TYPE,
      fieldViolations: (fields as { path?: string; message?: string }[]).map((f) => ({ field: f.path ?? '', description: f.message ?? '' })),
    });
  }
  return { code: error.code, message: error.message, data: details };
}

/**
 * Anything a method threw, as a JSON-RPC error. Feature errors keep their message: bad input
 * is invalid params naming the fields; a refused transition is an unsupported operation.
 */
export function toRpcError(error: unknown): RpcErrorBody {
  if (error instanceof JSONRPCErrorException) {
    return error.data === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, data: error.data };
  }
  if (error instanceof BatonError) {
    switch (error.kind) {
      case 'validation':
        return { code: A2A_CODES.invalidParams, message: error.message, data: { fields: error.details ?? [] } };
      case 'not_found':
        return { code: A2A_CODES.invalidParams, message: error.message };
      case 'conflict':
      case 'invalid_state':
        return { code: A2A_CODES.unsupportedOperation, message: error.message };
      case 'unauthorized':
      case 'forbidden':
        return { code: A2A_CODES.forbidden, message: error.message };
      case 'unavailable':
        return { code: A2A_CODES.internalError, message: error.message };
    }
  }
  return { code: A2A_CODES.internalError, message: 'internal error' };
}
