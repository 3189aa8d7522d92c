import type { AgentModeRouterService } from '@baton/agents';
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
    const response = await outbound(item.url!, {
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

/**
 * One push to a registered A2A agent: the inbox item goes as the data part of an A2A message
 * (official SDK client, the agent's card and headers, through the agent router). The message
 * id is `<delivery id>:1` on every attempt, so the agent can drop a repeated delivery. The
 * remote task settling (completed) accepts the item; a failed task or call is a failed attempt.
 */
export async function sendA2aPush(item: PushItem, signal: AbortSignal, agents: AgentModeRouterService): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    await agents.invoke(
      { agent: item.a2aAgent! },
      toInboxResponse(item),
      { runId: item.message.runId ?? '', stepId: item.deliveryId, stepKey: 'message', attempt: 1 },
      { signal, timeoutMs: REQUEST_TIMEOUT_MS },
    );
    return { ok: true };
  } catch (error) {
    return { ok: false, error: `A2A push to ${item.a2aAgent} failed: ${(error as Error).message}` };
  }
}
