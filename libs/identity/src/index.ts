import type { Database } from '@baton/db';
import { TokenRepository } from './token.repository.js';
import { TokenService } from './token.service.js';

export { IdentityModule } from './identity.module.js';
export { TokenService, hashToken, MIN_BOOTSTRAP_TOKEN_LENGTH } from './token.service.js';
export { AccessService, ANONYMOUS, policyPrincipalOf, type AccessRequest } from './access.service.js';
export { OidcVerifier, looksLikeJwt, MAX_JWT_LENGTH } from './oidc/oidc-verifier.js';
export type { PersonPrincipal } from './person.types.js';
export { AccessPolicy, accessRules, DEFAULT_RULE, type Access, type AccessRule, type AccessPolicyOptions } from './access-policy.js';
export { ROLES, PERMISSIONS, isRole, roleAllows, rolesWith, type Role, type Permission } from './roles.js';
export { CurrentPrincipal, principalOf, principalLabel, principalTokenId, type RequestWithPrincipal } from './principal.js';
export { assertListenAddressAllowed, isLoopbackHost } from './listen-address.js';
export {
  BOOTSTRAP_TOKEN_NAME,
  type ApiToken,
  type CreatedToken,
  type Principal,
  type TokenPrincipal,
  type AnonymousPrincipal,
} from './token.types.js';

/** A TokenService over an open database, outside Nest (the `baton` CLI). */
export function createTokenService(db: Database, bootstrapToken?: string): TokenService {
  return new TokenService(db, new TokenRepository(db), bootstrapToken);
}
