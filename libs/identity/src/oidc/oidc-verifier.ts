import { Logger } from '@nestjs/common';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { BatonError, type OidcConfig } from '@baton/common';
import type { PersonPrincipal } from '../person.types.js';
import { personFromClaims } from './claim-mapping.js';

/** Larger bearer values are refused before any parsing (real ID/access tokens are 1-3 KiB). */
export const MAX_JWT_LENGTH = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const DISCOVERY_TIMEOUT_MS = 5000;

/** Whether a bearer value has the three-part shape of a JWS compact JWT (API tokens never do). */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * Verifies people's bearer JWTs against the provider's JWKS with `jose`: signature (asymmetric
 * algorithms only, never `none`), `iss`, `aud`, `exp`/`nbf`. Keys are fetched on first use and
 * again when a token names an unknown `kid` (jose's remote key set does both, rate-limited).
 * Every refusal is a BatonError `unauthorized` whose message says what was wrong.
 */
export class OidcVerifier {
  private readonly logger = new Logger('Identity');
  private keys: Promise<JWTVerifyGetKey> | undefined;

  constructor(private readonly config: OidcConfig) {}

  async verify(token: string): Promise<PersonPrincipal> {
    if (token.length > MAX_JWT_LENGTH) throw unauthorized(`bearer JWT is larger than ${MAX_JWT_LENGTH} characters`);
    if (!JWT_SHAPE.test(token)) throw unauthorized('malformed bearer JWT: expected three base64url parts');
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.config.issuer,
        audience: this.config.audiences,
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw unauthorized(reasonOf(error, this.config));
    }
    return personFromClaims(payload, this.config);
  }

  /** The JWKS: the configured URL, or the `jwks_uri` of the issuer's discovery document. */
  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.resolveJwksUrl().then(
      (url) => createRemoteJWKSet(url, { timeoutDuration: DISCOVERY_TIMEOUT_MS }),
      (error: unknown) => {
        // Forget the failure so the next request tries the provider again.
        this.keys = undefined;
        this.logger.warn(`OIDC discovery failed: ${(error as Error).message}`);
        throw unauthorized(`cannot verify bearer JWTs now: the OIDC provider's discovery document is unavailable (${(error as Error).message})`);
      },
    );
    return this.keys;
  }

  private async resolveJwksUrl(): Promise<URL> {
    if (this.config.jwksUrl) return new URL(this.config.jwksUrl);
    const where = `${this.config.issuer}/.well-known/openid-configuration`;
    const response = await fetch(where, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), redirect: 'error' });
    if (!response.ok) throw new Error(`${where} answered ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one asked for.
    if (document.issuer !== this.config.issuer) throw new Error(`${where} names issuer ${String(document.issuer)}, not ${this.config.issuer}`);
    if (typeof document.jwks_uri !== 'string') throw new Error(`${where} has no jwks_uri`);
    return new URL(document.jwks_uri);
  }
}

function unauthorized(message: string): BatonError {
  return new BatonError('unauthorized', message);
}

/** A message a person (or their client's developer) can act on; never the token itself. */
function reasonOf(error: unknown, config: OidcConfig): string {
  if (error instanceof joseErrors.JWTExpired) return 'bearer JWT has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return `bearer JWT has the wrong issuer: expected ${config.issuer}`;
    if (error.claim === 'aud') return `bearer JWT has the wrong audience: expected ${config.audiences.join(' or ')}`;
    if (error.claim === 'nbf') return 'bearer JWT is not valid yet (nbf)';
    return `bearer JWT claim ${error.claim} is invalid: ${error.reason}`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return `bearer JWT algorithm is not accepted: use one of ${config.algorithms.join(', ')}`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'bearer JWT is signed with a key (kid) the OIDC provider does not publish';
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'bearer JWT names no kid and the OIDC provider publishes several keys';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bearer JWT signature does not verify';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return 'cannot verify bearer JWTs now: the OIDC provider\'s keys are unavailable';
  }
  if (error instanceof joseErrors.JOSEError) return `malformed bearer JWT (${error.code})`;
  return 'cannot verify bearer JWTs now: the OIDC provider\'s keys are unavailable';
}
