import { generateKeyPairSync } from 'node:crypto';
import { BatonConfig, BatonError } from '@baton/common';
import { parseConfiguredKey } from './signing-key-material.js';

describe('BATON_SIGNING_KEY', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const jwk = privateKey.export({ format: 'jwk' });

  it('reads a PKCS#8 PEM (newlines escaped or not) and a JWK as the same key, kid = thumbprint unless given', async () => {
    const fromPem = await parseConfiguredKey(pem);
    expect(fromPem.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: fromPem.kid, alg: 'EdDSA', use: 'sig' });
    expect(fromPem.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await parseConfiguredKey(pem.replace(/\n/g, '\\n'))).kid).toBe(fromPem.kid);
    expect((await parseConfiguredKey(JSON.stringify(jwk))).kid).toBe(fromPem.kid);
    expect((await parseConfiguredKey(JSON.stringify({ ...jwk, kid: 'baton-2026' }))).publicJwk.kid).toBe('baton-2026');
    expect(fromPem.publicJwk).not.toHaveProperty('d');
  });

  it('refuses what is not an Ed25519 private key, naming the variable', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const raw of ['not a key', rsa, '{"kty":"OKP"}']) {
      const error = await parseConfiguredKey(raw).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BatonError);
      expect((error as BatonError).details).toEqual([expect.objectContaining({ path: 'BATON_SIGNING_KEY' })]);
    }
  });
});

describe('call-token configuration', () => {
  it('derives BATON_PUBLIC_URL from HOST and PORT, and checks the secret key length', () => {
    expect(new BatonConfig({ PORT: '4000' }).publicUrl).toBe('http://127.0.0.1:4000');
    expect(new BatonConfig({ HOST: '0.0.0.0', BATON_BOOTSTRAP_TOKEN: 'x'.repeat(30) }).publicUrl).toBe('http://127.0.0.1:3000');
    expect(new BatonConfig({ BATON_PUBLIC_URL: 'https://baton.example.com/' }).publicUrl).toBe('https://baton.example.com');
    expect(() => new BatonConfig({ BATON_PUBLIC_URL: 'ftp://x' })).toThrow(BatonError);
    expect(() => new BatonConfig({ BATON_SECRET_KEY: 'short' })).toThrow(BatonError);
  });
});
