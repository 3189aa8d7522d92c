import type { PersonPrincipal } from './person.types.js';
import type { Role } from './roles.js';

/** A stored API token as the rest of Baton sees it: never the token itself, never its hash. */
export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  /** The one owner whose resources the token reaches; null: all owners. */
  owner: string | null;
  /** The registered agent the token is bound to (an agent credential); null: an ordinary token. */
  agent: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A freshly created token: `token` is the secret, shown this once and never stored. */
export interface CreatedToken {
  token: string;
  apiToken: ApiToken;
}

/**
 * Who is calling: a token's holder, a person signed in with OIDC, or nobody in particular
 * (auth off, or a public route). Tell them apart with `'tokenId' in p`, `'subject' in p`, `'anonymous' in p`.
 */
export type Principal = TokenPrincipal | PersonPrincipal | AnonymousPrincipal;

export interface TokenPrincipal {
  tokenId: string;
  name: string;
  role: Role;
  /** Set when the token is bound to one owner (tenancy); absent: all owners. */
  owner?: string;
  /**
   * Set for an agent credential: the registered agent the caller is (`name` is then that
   * agent's name and `role` is `agent`). Cedar sees `Baton::Agent::"<agent>"`.
   */
  agent?: string;
}

export interface AnonymousPrincipal {
  anonymous: true;
}

/** The token name `BATON_BOOTSTRAP_TOKEN` is stored under; reserved for it. */
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap';
