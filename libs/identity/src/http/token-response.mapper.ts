import type { ApiToken } from '../token.types.js';

export interface TokenResponse {
  id: string;
  name: string;
  role: string;
  owner: string | null;
  /** The agent an agent credential is bound to; null for ordinary tokens. */
  agent: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The REST view of a token: metadata only, never the secret or its hash. */
export function toTokenResponse(token: ApiToken): TokenResponse {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    owner: token.owner,
    agent: token.agent,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}
