import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The prefix of a value encrypted by `SecretBox`; the version names the scheme below. */
export const SECRET_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored secret that cannot be decrypted: no BATON_SECRET_KEY, or a different one. */
export class SecretUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailableError';
  }
}

/**
 * Encrypts secrets Baton must store and later use (agent header values, its signing key)
 * with AES-256-GCM under a key derived from BATON_SECRET_KEY by HKDF-SHA256. A value is
 * `enc:v1:<base64url(iv | tag | ciphertext)>`; the random 96-bit IV makes two encryptions
 * of one value differ, and the tag makes a tampered or foreign value fail instead of
 * decrypting to garbage. `purpose` (the HKDF info) keeps keys for different uses apart.
 *
 * Without a key, `seal` returns the value unchanged (plaintext at rest, which start-up
 * warns about) and `open` passes plaintext through; an `enc:v1:` value then cannot be read.
 */
export class SecretBox {
  private readonly key: Buffer | undefined;

  constructor(secretKey: string | undefined, purpose: string) {
    this.key = secretKey ? Buffer.from(hkdfSync('sha256', secretKey, 'baton', purpose, 32)) : undefined;
  }

  /** Whether values are encrypted (BATON_SECRET_KEY is set). */
  get enabled(): boolean {
    return this.key !== undefined;
  }

  /** `value` encrypted, or unchanged without a key. An already sealed value is kept as is. */
  seal(value: string): string {
    if (!this.key || isSealed(value)) return value;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return `${SECRET_PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The plaintext of `value`; plaintext passes through. Throws `SecretUnavailableError`. */
  open(value: string): string {
    if (!isSealed(value)) return value;
    if (!this.key) throw new SecretUnavailableError('the value is encrypted and BATON_SECRET_KEY is not set');
    const raw = Buffer.from(value.slice(SECRET_PREFIX.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretUnavailableError('the encrypted value is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnavailableError('the value was encrypted with another BATON_SECRET_KEY (or altered)');
    }
  }
}

/** Whether `value` is in the `enc:v1:` form. */
export function isSealed(value: string): boolean {
  return value.startsWith(SECRET_PREFIX);
}
