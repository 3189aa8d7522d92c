import { egressDenialOf } from '@baton/common';
import { REQUEST_TIMEOUT_MS, WEBHOOK_HEADERS, signWebhook } from '@baton/webhooks';
import { toInboxResponse } from './http/message.presenter.js';
import type { PushItem } from './inbox-endpoint.repository.js';

/** The `x-baton-event` of a pushed message. */
export const PUSH_EVENT = 'message';

/**
 * One push: POST `{ delivery_id, attempt, lease_expires_at, message }` (the pull inbox's
 * item shape) to the agent's URL, signed as webhooks are (`verifyWebhookSignature` checks it).
 * 2xx is accepted; anything else, a redirect or a timeout is a failed attempt. Never throws.
 */
export async function sendPush(item: PushItem, signal: AbortSignal, outbound: typeof fetch, now = Date.now()): Promise<{ ok: true } | { ok: false; error: string }> {
  const body = JSON.stringify(toInboxResponse(item));
  const timestamp = Math.floor(now / 1000);
  try {
    const response = await outbound(item.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Baton-Messages/1',
        [WEBHOOK_HEADERS.event]: PUSH_EVENT,
        [WEBHOOK_HEADERS.delivery]: item.deliveryId,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(item.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const text = await response.text().catch(() => '');
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, error: `HTTP ${response.status}: ${text.slice(0, 300)}` };
  } catch (error) {
    const denied = egressDenialOf(error);
    if (denied) return { ok: false, error: denied.message };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, error: `connection error: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}
