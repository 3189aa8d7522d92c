import type { Role } from './roles.js';

/**
 * A person signed in with an OpenID Connect provider (a verified bearer JWT). Cedar sees them
 * as `Baton::Person::"<subject>"` with `role`, `owner` and their groups as parents.
 */
export interface PersonPrincipal {
  /** The token's `sub`: stable per person at one issuer. */
  subject: string;
  /** `name`, else `preferred_username`, else `email`, else the subject. */
  name: string;
  email?: string;
  role: Role;
  groups: string[];
  /** Set when the owner claim names one owner (tenancy); absent: all owners. */
  owner?: string;
  issuer: string;
}
