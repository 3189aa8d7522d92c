import { randomUUID } from 'node:crypto';
import { http } from './test-app.js';

/** One JSON-RPC call to `POST /a2a` as `token` (none: no header), in the given dialect. */
export async function rpc(
  url: string,
  token: string | undefined,
  method: string,
  params: unknown,
  version: '1.0' | '0.3' = '1.0',
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (version === '1.0') headers['a2a-version'] = '1.0';
  return http('POST', `${url}/a2a`, { jsonrpc: '2.0', id: randomUUID(), method, params }, headers);
}

/** v1.0 `SendMessage` params with one data part (and `taskId` to continue a task). */
export function sendV10(data: unknown, options: { taskId?: string; returnImmediately?: boolean; messageId?: string } = {}): Record<string, unknown> {
  const message: Record<string, unknown> = { messageId: options.messageId ?? randomUUID(), role: 'ROLE_USER', parts: [{ data }] };
  if (options.taskId) message.taskId = options.taskId;
  return { message, configuration: { returnImmediately: options.returnImmediately ?? false } };
}

/** v0.3 `message/send` params with one data part. */
export function sendV03(data: unknown, options: { taskId?: string; blocking?: boolean; messageId?: string } = {}): Record<string, unknown> {
  const message: Record<string, unknown> = { kind: 'message', messageId: options.messageId ?? randomUUID(), role: 'user', parts: [{ kind: 'data', data }] };
  if (options.taskId) message.taskId = options.taskId;
  return { message, configuration: { blocking: options.blocking ?? true } };
}
