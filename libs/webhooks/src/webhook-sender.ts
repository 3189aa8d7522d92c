import { egressDenialOf } from '@baton/common';
import { runTraceHeaders } from '@baton/telemetry';
import { REQUEST_TIMEOUT_MS } from './delivery-policy.js';
import { signWebhook, WEBHOOK_HEADERS } from './signature.js';
import type { RenderedDelivery } from './delivery-renderer.js';
import type { AttemptResult, ClaimedDelivery } from './webhook.types.js';

const ERROR_SNIPPET_CHARS = 300;

/** The exact body a receiver gets (and the bytes the signature covers). */
export function deliveryBody(delivery: ClaimedDelivery): string {
  return JSON.stringify({ id: delivery.id, event: delivery.event, webhookId: delivery.subscriptionId });
}

/**
 * One attempt: a signed POST. 2xx is success; anything else (other statuses, redirects,
 * timeouts after REQUEST_TIMEOUT_MS, connection errors) is a failure to retry. Never throws.
 * `rendered` replaces the envelope (a subscription with another format); its headers are
 * added, but the signature headers are always Baton's, over the body actually sent.
 * `outbound` is the guarded fetch (`OutboundHttp`): an address the egress policy denies is a
 * failed attempt whose error says so.
 */
export async function sendDelivery(
  delivery: ClaimedDelivery,
  signal: AbortSignal,
  outbound: typeof fetch,
  now = Date.now(),
  rendered?: RenderedDelivery,
): Promise<AttemptResult> {
  const body = rendered?.body ?? deliveryBody(delivery);
  const timestamp = Math.floor(now / 1000);
  try {
    const response = await outbound(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Baton-Webhooks/1',
        ...lowerCased(rendered?.headers ?? {}),
        // The receiver's work joins the run's trace (issue 13), whichever instance sends.
        ...runTraceHeaders(delivery.traceContext),
        [WEBHOOK_HEADERS.event]: delivery.eventType,
        [WEBHOOK_HEADERS.delivery]: delivery.id,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(delivery.secret, timestamp, body),
      },
      body,
      // A redirect would turn the POST into a GET elsewhere; the receiver must give its real URL.
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const text = await response.text().catch(() => '');
    if (response.status >= 200 && response.status < 300) return { ok: true, statusCode: response.status, error: null };
    return { ok: false, statusCode: response.status, error: `HTTP ${response.status}: ${text.slice(0, ERROR_SNIPPET_CHARS)}` };
  } catch (error) {
    return { ok: false, statusCode: null, error: describe(error, signal) };
  }
}

function describe(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'aborted: shutting down';
  const denied = egressDenialOf(error);
  if (denied) return denied.message;
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError') return `timed out after ${REQUEST_TIMEOUT_MS} ms`;
  // undici says "fetch failed" and keeps the useful part (ECONNREFUSED, ECONNRESET) in `cause`.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `connection error: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
