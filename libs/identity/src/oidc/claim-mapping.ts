import type { JWTPayload } from 'jose';
import { BatonError, type OidcConfig } from '@baton/common';
import type { PersonPrincipal } from '../person.types.js';
import { isRole, type Role } from '../roles.js';

const MAX_GROUPS = 200;
const TEXT = /^[^\u0000-\u001f]{1,200}$/;

/**
 * A verified token's claims → the person Baton sees. The role claim wins when it names a Baton
 * role; otherwise the first `BATON_OIDC_ROLE_MAP` entry matching the role claim or a group;
 * otherwise the default role. Claims that are present but of the wrong shape refuse the token
 * (401) rather than silently granting the default role.
 */
export function personFromClaims(claims: JWTPayload, config: OidcConfig): PersonPrincipal {
  const subject = claims.sub;
  if (typeof subject !== 'string' || !TEXT.test(subject)) throw invalid('sub', 'must be a string of 1-200 characters');
  const roleValue = claimAt(claims, config.roleClaim);
  const roleClaim = roleValue === undefined ? [] : textList(roleValue, config.roleClaim);
  const groupsValue = claimAt(claims, config.groupsClaim);
  const groups = groupsValue === undefined ? [] : textList(groupsValue, config.groupsClaim).slice(0, MAX_GROUPS);
  const role = roleOf(roleClaim, groups, config);
  const person: PersonPrincipal = { subject, name: nameOf(claims, subject), role, groups, issuer: config.issuer };
  if (typeof claims.email === 'string' && TEXT.test(claims.email)) person.email = claims.email;
  if (config.ownerClaim) {
    const owner = claimAt(claims, config.ownerClaim);
    if (owner !== undefined && owner !== null && owner !== '') {
      if (typeof owner !== 'string' || !/^\S{1,200}$/.test(owner)) throw invalid(config.ownerClaim, 'must be 1-200 characters without whitespace');
      person.owner = owner;
    }
  }
  return person;
}

/** `app_metadata.baton_role` → claims.app_metadata.baton_role; a claim whose own name has dots is tried whole first. */
export function claimAt(claims: JWTPayload, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function roleOf(roleClaim: string[], groups: string[], config: OidcConfig): Role {
  const direct = roleClaim.find(isRole);
  if (direct) return direct;
  const values = new Set([...roleClaim, ...groups]);
  const mapped = config.roleMap.find((entry) => values.has(entry.value));
  return (mapped?.role ?? config.defaultRole) as Role;
}

function nameOf(claims: JWTPayload, subject: string): string {
  for (const key of ['name', 'preferred_username', 'email']) {
    const value = claims[key];
    if (typeof value === 'string' && TEXT.test(value)) return value;
  }
  return subject;
}

function textList(value: unknown, claim: string): string[] {
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((item) => typeof item === 'string' && TEXT.test(item))) throw invalid(claim, 'must be a string or a list of strings');
  return items as string[];
}

function invalid(claim: string, message: string): BatonError {
  return new BatonError('unauthorized', `bearer JWT claim ${claim} ${message}`);
}
