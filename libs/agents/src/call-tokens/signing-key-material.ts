import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { BatonError } from '@baton/common';
import type { PublicJwk } from './signing-key.repository.js';

/** A private Ed25519 key ready to sign, with the public JWK that verifies it. */
export interface SigningKeyMaterial {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

/** A fresh Ed25519 key; its kid is the RFC 7638 thumbprint of its public JWK. */
export async function generateSigningKey(): Promise<SigningKeyMaterial & { pkcs8: string }> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const material = await materialOf(privateKey);
  return { ...material, pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A stored PKCS#8 PEM back into key material. */
export function fromPkcs8(pem: string): Promise<SigningKeyMaterial> {
  return materialOf(createPrivateKey(pem));
}

/**
 * BATON_SIGNING_KEY: a PKCS#8 PEM (`openssl genpkey -algorithm ed25519`) or a private JWK
 * (`{"kty":"OKP","crv":"Ed25519","d":…,"x":…,"kid"?:…}`). The JWK's `kid` is kept; otherwise the
 * kid is the key's thumbprint, so the same key always has the same kid on every instance.
 */
export async function parseConfiguredKey(raw: string): Promise<SigningKeyMaterial> {
  let key: KeyObject;
  let kid: string | undefined;
  try {
    if (raw.startsWith('{')) {
      const jwk = JSON.parse(raw) as { kid?: unknown };
      kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : undefined;
      key = createPrivateKey({ key: jwk as never, format: 'jwk' });
    } else {
      // A PEM passed through an environment variable often has its newlines escaped.
      key = createPrivateKey(raw.replace(/\\n/g, '\n'));
    }
  } catch (error) {
    throw configError(`must be an Ed25519 private key as PKCS#8 PEM or JWK: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw configError(`must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  return materialOf(key, kid);
}

async function materialOf(privateKey: KeyObject, kid?: string): Promise<SigningKeyMaterial> {
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string };
  const id = kid ?? (await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }));
  return { kid: id, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid: id, alg: 'EdDSA', use: 'sig' } };
}

function configError(message: string): BatonError {
  return BatonError.validation([{ path: 'BATON_SIGNING_KEY', message }], 'invalid configuration');
}
