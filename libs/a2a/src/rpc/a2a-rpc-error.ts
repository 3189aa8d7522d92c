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
}

/**
 * Anything a method threw, as a JSON-RPC error. Feature errors keep their message: bad input
 * is invalid params naming the fields; a refused transition is an unsupported operation.
 */
export function toRpcError(error: unknown): { code: number; message: string; data?: unknown } {
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
