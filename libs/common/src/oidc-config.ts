import type { FieldError } from './baton-error.js';

/**
 * People sign in with an OpenID Connect provider; Baton verifies their bearer JWTs against the
 * provider's JWKS. Parsed here (not in `@baton/identity`) so BatonConfig reports a bad value at
 * start-up with every other variable.
 */
export interface OidcConfig {
  /** The `iss` every token must carry. */
  issuer: string;
  /** Accepted `aud` values (any one). */
  audiences: string[];
  /** Where the signing keys are; absent: discovered from `${issuer}/.well-known/openid-configuration`. */
  jwksUrl: string | undefined;
  /** Asymmetric JWS algorithms accepted; `none` and the HMAC family are never accepted. */
  algorithms: string[];
  /** Dot paths into the claims (`app_metadata.baton_role`). */
  roleClaim: string;
  groupsClaim: string;
  ownerClaim: string | undefined;
  /** Claim value (a role claim or a group) → Baton role, tried in order. */
  roleMap: Array<{ value: string; role: string }>;
  /** The role of a person whose claims name none. */
  defaultRole: string;
  clockToleranceSeconds: number;
  /** Where the settings came from, for the start-up log. */
  source: 'BATON_OIDC_ISSUER' | 'SUPABASE_URL';
}

/** Asymmetric algorithms only: a symmetric key would have to be shared with Baton. */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const ROLE_NAMES = ['viewer', 'agent', 'operator', 'admin', 'backup'];

/** Reads the `BATON_OIDC_*` variables (or `SUPABASE_URL` alone); undefined when people are not configured. */
export function readOidcConfig(env: Record<string, string | undefined>, errors: FieldError[]): OidcConfig | undefined {
  const supabase = env.SUPABASE_URL?.trim().replace(/\/+$/, '') || undefined;
  const issuer = env.BATON_OIDC_ISSUER?.trim().replace(/\/+$/, '') || (supabase ? `${supabase}/auth/v1` : undefined);
  if (!issuer) return undefined;
  const fromSupabase = !env.BATON_OIDC_ISSUER?.trim();
  checkUrl('BATON_OIDC_ISSUER', issuer, errors);
  const jwksUrl = env.BATON_OIDC_JWKS_URL?.trim() || (fromSupabase ? `${issuer}/.well-known/jwks.json` : undefined);
  if (jwksUrl) checkUrl('BATON_OIDC_JWKS_URL', jwksUrl, errors);
  const audiences = list(env.BATON_OIDC_AUDIENCE ?? (fromSupabase ? 'authenticated' : ''));
  if (audiences.length === 0) errors.push({ path: 'BATON_OIDC_AUDIENCE', message: 'is required with BATON_OIDC_ISSUER (the aud your provider puts in tokens for Baton)' });
  const algorithms = env.BATON_OIDC_ALGORITHMS ? list(env.BATON_OIDC_ALGORITHMS) : [...OIDC_ALGORITHMS];
  for (const alg of algorithms) {
    if (!(OIDC_ALGORITHMS as readonly string[]).includes(alg)) {
      errors.push({ path: 'BATON_OIDC_ALGORITHMS', message: `"${alg}" is not accepted: use asymmetric algorithms among ${OIDC_ALGORITHMS.join(', ')}` });
    }
  }
  const defaultRole = env.BATON_OIDC_DEFAULT_ROLE?.trim() || 'viewer';
  if (!ROLE_NAMES.includes(defaultRole)) errors.push({ path: 'BATON_OIDC_DEFAULT_ROLE', message: `must be one of ${ROLE_NAMES.join(', ')}` });
  const roleMap = list(env.BATON_OIDC_ROLE_MAP).map((pair) => {
    const at = pair.lastIndexOf('=');
    const entry = { value: pair.slice(0, at).trim(), role: pair.slice(at + 1).trim() };
    if (at <= 0 || !ROLE_NAMES.includes(entry.role)) {
      errors.push({ path: 'BATON_OIDC_ROLE_MAP', message: `"${pair}" must be <claim value>=<role>, role one of ${ROLE_NAMES.join(', ')}` });
    }
    return entry;
  });
  const tolerance = Number(env.BATON_OIDC_CLOCK_TOLERANCE_SECONDS ?? 30);
  if (!Number.isInteger(tolerance) || tolerance < 0 || tolerance > 300) {
    errors.push({ path: 'BATON_OIDC_CLOCK_TOLERANCE_SECONDS', message: 'must be an integer from 0 to 300' });
  }
  return {
    issuer,
    audiences,
    jwksUrl,
    algorithms,
    // Supabase keeps what users may not edit themselves in app_metadata.
    roleClaim: env.BATON_OIDC_ROLE_CLAIM?.trim() || (fromSupabase ? 'app_metadata.baton_role' : 'baton_role'),
    groupsClaim: env.BATON_OIDC_GROUPS_CLAIM?.trim() || (fromSupabase ? 'app_metadata.groups' : 'groups'),
    ownerClaim: env.BATON_OIDC_OWNER_CLAIM?.trim() || undefined,
    roleMap,
    defaultRole,
    clockToleranceSeconds: Number.isInteger(tolerance) ? tolerance : 30,
    source: fromSupabase ? 'SUPABASE_URL' : 'BATON_OIDC_ISSUER',
  };
}

function checkUrl(name: string, value: string, errors: FieldError[]): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) errors.push({ path: name, message: `must be an http(s) URL, got "${value}"` });
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}
