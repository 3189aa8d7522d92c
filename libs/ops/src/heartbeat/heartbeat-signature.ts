import { createHmac, timingSafeEqual } from 'node:crypto';

/** Where a signed heartbeat goes (POST, no token). */
export const SIGNED_HEARTBEAT_PATH = '/api/v1/system/heartbeat/signed';

/**
 * The signature of a heartbeat webhook URL: hex HMAC-SHA256 under BATON_HEARTBEAT_SECRET of
 * `baton-heartbeat:<by>`. The URL is a standing credential for one thing only, beating the
 * heartbeat as `by` (a cron job, an uptime checker, a phone shortcut), so it never expires;
 * changing the secret revokes every URL.
 */
export function signHeartbeat(secret: string, by: string): string {
  return createHmac('sha256', secret).update(`baton-heartbeat:${by}`).digest('hex');
}

/** The full URL to POST to: `<base>/api/v1/system/heartbeat/signed?by=…&signature=…`. */
export function signedHeartbeatUrl(baseUrl: string, secret: string, by: string): string {
  const query = new URLSearchParams({ by, signature: signHeartbeat(secret, by) });
  return `${baseUrl.replace(/\/$/, '')}${SIGNED_HEARTBEAT_PATH}?${query}`;
}

/** Constant-time check of a URL's signature. */
export function verifyHeartbeat(secret: string, by: string, signature: string): boolean {
  const expected = Buffer.from(signHeartbeat(secret, by), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
