import {
  GetTaskPushNotificationConfigRequest,
  ListTaskPushNotificationConfigsRequest,
  ListTaskPushNotificationConfigsResponse,
  TaskPushNotificationConfig,
} from '@a2a-js/sdk';
import { A2aRpcError } from '../rpc/a2a-rpc-error.js';
import { isRecord, type PushConfigInput, type PushConfigView } from './dialect.js';

/**
 * v1.0 push-notification configs (`CreateTaskPushNotificationConfig`, `Get…`,
 * `ListTaskPushNotificationConfigs`, `Delete…`), read and written with the SDK's codecs.
 * `authentication` is one `{ scheme, credentials }`.
 */
export const pushV10 = {
  parsePushCreate(params: unknown): { taskId: string; config: PushConfigInput } {
    if (!isRecord(params)) throw A2aRpcError.invalidParams('params', 'must be an object');
    const request = decode(() => TaskPushNotificationConfig.fromJSON(params));
    if (!request.taskId) throw A2aRpcError.invalidParams('params.taskId', 'is required');
    return { taskId: request.taskId, config: configFromV10(request, 'params') };
  },

  parsePushRef(params: unknown): { taskId: string; configId?: string } {
    if (!isRecord(params)) throw A2aRpcError.invalidParams('params', 'must be an object');
    // Get and delete requests have the same fields: { tenant, taskId, id }.
    const request = decode(() => GetTaskPushNotificationConfigRequest.fromJSON(params));
    if (!request.taskId) throw A2aRpcError.invalidParams('params.taskId', 'is required');
    if (!request.id) throw A2aRpcError.invalidParams('params.id', 'is required');
    return { taskId: request.taskId, configId: request.id };
  },

  parsePushList(params: unknown): string {
    const request = decode(() => ListTaskPushNotificationConfigsRequest.fromJSON(isRecord(params) ? params : {}));
    if (!request.taskId) throw A2aRpcError.invalidParams('params.taskId', 'is required');
    return request.taskId;
  },

  renderPushConfig: (view: PushConfigView): unknown => TaskPushNotificationConfig.toJSON(configV10(view)),
  renderPushList: (views: PushConfigView[]): unknown =>
    ListTaskPushNotificationConfigsResponse.toJSON({ configs: views.map(configV10), nextPageToken: '' }),
};

/** The config of a create request, or of `configuration.taskPushNotificationConfig` in SendMessage. */
export function configFromV10(config: TaskPushNotificationConfig, path: string): PushConfigInput {
  if (!config.url) throw A2aRpcError.invalidParams(`${path}.url`, 'is required');
  const input: PushConfigInput = { url: config.url };
  if (config.id) input.id = config.id;
  if (config.token) input.token = config.token;
  if (config.authentication?.scheme) {
    input.authentication = { schemes: [config.authentication.scheme] };
    if (config.authentication.credentials) input.authentication.credentials = config.authentication.credentials;
  }
  return input;
}

function configV10(view: PushConfigView): TaskPushNotificationConfig {
  return {
    tenant: '',
    id: view.id,
    taskId: view.taskId,
    url: view.url,
    token: view.token ?? '',
    authentication: view.authentication
      ? { scheme: view.authentication.schemes[0] ?? '', credentials: view.authentication.credentials ?? '' }
      : undefined,
  };
}

function decode<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw A2aRpcError.invalidParams('params', (error as Error).message);
  }
}
