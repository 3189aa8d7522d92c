import { SecretBox, SecretUnavailableError, isSealed } from './secret-box.js';

const KEY = 'k'.repeat(40);

describe('SecretBox', () => {
  it('round-trips a value through enc:v1 and never repeats a ciphertext', () => {
    const box = new SecretBox(KEY, 'test');
    const a = box.seal('Bearer sk-123');
    const b = box.seal('Bearer sk-123');
    expect(a.startsWith('enc:v1:')).toBe(true);
    expect(a).not.toContain('sk-123');
    expect(a).not.toBe(b);
    expect(box.open(a)).toBe('Bearer sk-123');
    expect(box.seal(a)).toBe(a);
  });

  it('passes plaintext through, and stores plaintext without a key', () => {
    const off = new SecretBox(undefined, 'test');
    expect(off.enabled).toBe(false);
    expect(off.seal('plain')).toBe('plain');
    expect(new SecretBox(KEY, 'test').open('plain')).toBe('plain');
  });

  it('refuses a value sealed under another key, another purpose or altered', () => {
    const sealed = new SecretBox(KEY, 'test').seal('secret');
    expect(() => new SecretBox('x'.repeat(40), 'test').open(sealed)).toThrow(SecretUnavailableError);
    expect(() => new SecretBox(KEY, 'other').open(sealed)).toThrow(SecretUnavailableError);
    expect(() => new SecretBox(undefined, 'test').open(sealed)).toThrow(/BATON_SECRET_KEY is not set/);
    const altered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => new SecretBox(KEY, 'test').open(altered)).toThrow(SecretUnavailableError);
    expect(isSealed(sealed)).toBe(true);
  });
});
