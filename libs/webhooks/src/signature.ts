import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header names of a delivery request. */
export const WEBHOOK_HEADERS = {
  event: 'x-baton-event',
  delivery: 'x-baton-delivery',
  timestamp: 'x-baton-timestamp',
  signature: 'x-baton-signature',
} as const;

/** A new subscription secret: 32 random bytes, base64url, with a recognisable prefix. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the `x-baton-signature` value. */
export function signWebhook(secret: string, timestamp: number | string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For receivers: true when `header` (`x-baton-signature`) carries a `v1=` signature of
 * `timestamp + "." + body` under `secret`, and `timestamp` (`x-baton-timestamp`, unix
 * seconds) is within `toleranceSeconds` of now (refuses replays of old requests). `body`
 * must be the raw request body, byte for byte, not re-serialised JSON. Several comma
 * separated `v1=` values are accepted, so a sender may sign with an old and a new secret.
 * Depends only on node:crypto: copy it into a receiver as is.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | undefined,
  body: string | Buffer,
  header: string | undefined,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!header || timestamp === undefined || !/^\d+$/.test(String(timestamp))) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  return header.split(',').some((part) => {
    const [scheme, hex] = part.trim().split('=', 2);
    if (scheme !== 'v1' || !hex || !/^[0-9a-f]{64}$/i.test(hex)) return false;
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
}
