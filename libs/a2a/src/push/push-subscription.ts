import { createHash } from 'node:crypto';
import type { WebhookSubscription } from '@baton/webhooks';
import type { ProtocolVersion, PushConfigInput, PushConfigView } from '../protocol/dialect.js';

/** The webhook formats of A2A pushes: the body is the dialect the config was created in. */
export const PUSH_FORMATS: Record<ProtocolVersion, string> = { '0.3': 'a2a-v0.3', '1.0': 'a2a-v1.0' };

export function versionOfFormat(format: string): ProtocolVersion | undefined {
  return format === PUSH_FORMATS['0.3'] ? '0.3' : format === PUSH_FORMATS['1.0'] ? '1.0' : undefined;
}

/**
 * The log events that change a task's state, and so make a push: the run's lifecycle and a
 * checkpoint opening (input-required). `run.waiting` is left out: for a checkpoint the
 * `approval.requested` of the same transaction says more, and waiting on a child run is
 * still WORKING. Step events never push.
 */
export const PUSH_EVENT_TYPES = [
  'run.created',
  'run.started',
  'run.resumed',
  'run.retried',
  'run.paused',
  'run.completed',
  'run.failed',
  'run.cancelled',
  'approval.requested',
];

/** What a push subscription keeps besides url and run: the A2A config as given. */
export interface PushFormatOptions {
  configId: string;
  token?: string;
  authentication?: { schemes: string[]; credentials?: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The webhook subscription id of a task's config: the config id itself when it is a UUID;
 * otherwise (callers may name configs "primary") a UUID derived from task and config id, so
 * that get, set-again and delete find it without a lookup table.
 */
export function subscriptionIdOf(taskId: string, configId: string): string {
  if (UUID.test(configId)) return configId.toLowerCase();
  const hex = createHash('sha256').update(`a2a-push\n${taskId}\n${configId}`).digest('hex');
  // Shaped as a version-5-like UUID (variant bits set) so it reads as one.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function formatOptionsOf(configId: string, input: PushConfigInput): PushFormatOptions {
  const options: PushFormatOptions = { configId };
  if (input.token) options.token = input.token;
  if (input.authentication) options.authentication = input.authentication;
  return options;
}

/**
 * A stored config as create, get and list answer it: the schemes, never the credentials (they
 * are a secret for the receiver, and reading them back would let any reader replay them).
 */
export function toPushConfigView(subscription: WebhookSubscription): PushConfigView {
  const options = subscription.formatOptions as Partial<PushFormatOptions>;
  const view: PushConfigView = { id: options.configId ?? subscription.id, taskId: subscription.runId ?? '', url: subscription.url };
  if (options.token) view.token = options.token;
  if (options.authentication) view.authentication = { schemes: options.authentication.schemes };
  return view;
}

/**
 * The headers a push carries besides Baton's signature, as the SDK's
 * DefaultPushNotificationSender sends them: `Authorization: <scheme> <credentials>` when the
 * config has credentials, and the config's token as `X-A2A-Notification-Token` (the SDK sends
 * the token only without credentials; Baton sends both, each harmless to a receiver ignoring it).
 */
export function pushHeaders(options: Partial<PushFormatOptions>, contentType: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType };
  const auth = options.authentication;
  if (auth?.credentials && auth.schemes[0]) headers.authorization = `${auth.schemes[0]} ${auth.credentials}`;
  if (options.token) headers['x-a2a-notification-token'] = options.token;
  return headers;
}
