import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from './signature.js';

describe('webhook signatures', () => {
  const secret = 'whsec_test_secret_0123456789';
  const body = JSON.stringify({ id: 'd1', event: { type: 'run.completed' } });
  const now = 1_800_000_000;

  it('verifies what it signed, within the tolerance', () => {
    const header = signWebhook(secret, now, body);
    expect(header).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, String(now), body, header, 300, now + 299)).toBe(true);
    expect(verifyWebhookSignature(secret, String(now), Buffer.from(body), header, 300, now)).toBe(true);
  });

  it('refuses another secret, a changed body, a stale or missing timestamp', () => {
    const header = signWebhook(secret, now, body);
    expect(verifyWebhookSignature('other-secret-0123456789', now, body, header, 300, now)).toBe(false);
    expect(verifyWebhookSignature(secret, now, `${body} `, header, 300, now)).toBe(false);
    expect(verifyWebhookSignature(secret, now, body, header, 300, now + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, undefined, body, header, 300, now)).toBe(false);
    expect(verifyWebhookSignature(secret, now, body, 'v1=zz', 300, now)).toBe(false);
    expect(verifyWebhookSignature(secret, now, body, undefined, 300, now)).toBe(false);
  });

  it('accepts any one of several v1 signatures (secret rotation)', () => {
    const header = `${signWebhook('old-secret-0123456789', now, body)}, ${signWebhook(secret, now, body)}`;
    expect(verifyWebhookSignature(secret, now, body, header, 300, now)).toBe(true);
  });

  it('generates long random secrets', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
