import { A2aRpcError } from '../rpc/a2a-rpc-error.js';
import { isRecord, type PushConfigInput, type PushConfigView } from './dialect.js';

/**
 * v0.3 push-notification configs: `tasks/pushNotificationConfig/set` takes a
 * `TaskPushNotificationConfig` `{ taskId, pushNotificationConfig: { id?, url, token?,
 * authentication?: { schemes, credentials? } } }`; get and delete take `{ id: taskId,
 * pushNotificationConfigId }`, list `{ id: taskId }`.
 */
export const pushV03 = {
  parsePushCreate(params: unknown): { taskId: string; config: PushConfigInput } {
    if (!isRecord(params)) throw A2aRpcError.invalidParams('params', 'must be an object');
    if (typeof params.taskId !== 'string' || !params.taskId) throw A2aRpcError.invalidParams('params.taskId', 'is required');
    return { taskId: params.taskId, config: parseConfigV03(params.pushNotificationConfig, 'params.pushNotificationConfig') };
  },

  parsePushRef(params: unknown): { taskId: string; configId?: string } {
    if (!isRecord(params) || typeof params.id !== 'string' || !params.id) throw A2aRpcError.invalidParams('params.id', 'is required');
    const configId = params.pushNotificationConfigId;
    if (configId !== undefined && typeof configId !== 'string') throw A2aRpcError.invalidParams('params.pushNotificationConfigId', 'must be a string');
    return { taskId: params.id, configId: configId || undefined };
  },

  parsePushList(params: unknown): string {
    if (!isRecord(params) || typeof params.id !== 'string' || !params.id) throw A2aRpcError.invalidParams('params.id', 'is required');
    return params.id;
  },

  renderPushConfig: (view: PushConfigView): unknown => configV03(view),
  renderPushList: (views: PushConfigView[]): unknown => views.map(configV03),
};

/** A v0.3 `PushNotificationConfig` (in a set request, or inline in `message/send`). */
export function parseConfigV03(value: unknown, path: string): PushConfigInput {
  if (!isRecord(value)) throw A2aRpcError.invalidParams(path, 'is required');
  if (typeof value.url !== 'string' || !value.url) throw A2aRpcError.invalidParams(`${path}.url`, 'is required');
  const config: PushConfigInput = { url: value.url };
  if (value.id !== undefined && value.id !== null && value.id !== '') {
    if (typeof value.id !== 'string') throw A2aRpcError.invalidParams(`${path}.id`, 'must be a string');
    config.id = value.id;
  }
  if (value.token !== undefined && value.token !== null && value.token !== '') {
    if (typeof value.token !== 'string') throw A2aRpcError.invalidParams(`${path}.token`, 'must be a string');
    config.token = value.token;
  }
  if (value.authentication !== undefined && value.authentication !== null) {
    const auth = value.authentication;
    if (!isRecord(auth) || !Array.isArray(auth.schemes) || !auth.schemes.every((s) => typeof s === 'string')) {
      throw A2aRpcError.invalidParams(`${path}.authentication.schemes`, 'must be an array of strings');
    }
    if (auth.credentials !== undefined && typeof auth.credentials !== 'string') {
      throw A2aRpcError.invalidParams(`${path}.authentication.credentials`, 'must be a string');
    }
    config.authentication = { schemes: auth.schemes as string[] };
    if (auth.credentials) config.authentication.credentials = auth.credentials as string;
  }
  return config;
}

function configV03(view: PushConfigView): Record<string, unknown> {
  const config: Record<string, unknown> = { id: view.id, url: view.url };
  if (view.token) config.token = view.token;
  if (view.authentication) {
    config.authentication = view.authentication.credentials
      ? { schemes: view.authentication.schemes, credentials: view.authentication.credentials }
      : { schemes: view.authentication.schemes };
  }
  return { taskId: view.taskId, pushNotificationConfig: config };
}
