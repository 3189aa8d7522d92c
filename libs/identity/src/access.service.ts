import { Inject, Injectable, Optional } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { BatonError } from '@baton/common';
import { groupOf, PolicyAuthorizer, type PolicyAction, type PolicyPrincipal } from '@baton/policy';
import { AccessPolicy, type AccessRule } from './access-policy.js';
import { looksLikeJwt, OidcVerifier } from './oidc/oidc-verifier.js';
import type { PersonPrincipal } from './person.types.js';
import { TokenService } from './token.service.js';
import type { Principal, TokenPrincipal } from './token.types.js';

/** What authorization needs from a request: an Express request or a raw upgrade request. */
export interface AccessRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: IncomingHttpHeaders;
}

export const ANONYMOUS: Principal = Object.freeze({ anonymous: true as const });

/**
 * Decides whether a request may proceed and who is making it. The global guard calls it for
 * every HTTP route; code that handles requests outside Nest's router (a WebSocket upgrade)
 * calls `authorize` itself before accepting.
 */
@Injectable()
export class AccessService {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(AccessPolicy) private readonly policy: AccessPolicy,
    @Inject(PolicyAuthorizer) private readonly authorizer: PolicyAuthorizer,
    @Optional() @Inject(OidcVerifier) private readonly oidc?: OidcVerifier | null,
  ) {}

  /**
   * The caller, when allowed. Throws BatonError `unauthorized` (401: no token, or an unknown
   * or revoked one) or `forbidden` (403: the active Cedar policy does not permit the route's
   * action for this caller).
   */
  async authorize(request: AccessRequest): Promise<Principal> {
    const method = (request.method ?? 'GET').toUpperCase();
    const path = request.originalUrl ?? request.url ?? '/';
    const rule = this.policy.ruleFor(method, path);
    if (rule.access === 'public') return ANONYMOUS;
    if (!(await this.isAuthEnabled())) return ANONYMOUS;
    const token = presentedToken(request, path, rule);
    if (!token) throw new BatonError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>');
    const principal = await this.authenticate(token);
    const route = `${method === 'HEAD' ? 'GET' : method} ${rule.pattern}`;
    const decision = this.decide(principal, rule.access, route, path);
    if (decision.allowed) return principal;
    throw new BatonError(
      'forbidden',
      `role ${principal.role} may not ${method} ${path.split('?')[0]}: needs ${groupOf(rule.access)} (action ${rule.access}; denied by policy version ${decision.version})`,
    );
  }

  /**
   * A JWT-shaped bearer value goes to the OIDC verifier when people are configured (created API
   * tokens are `baton_…` and never contain dots); everything else is looked up as an API token.
   * A refused JWT is still tried as a token, because BATON_BOOTSTRAP_TOKEN is free text and may
   * contain two dots; when it is no token either, the verifier's reason is the answer.
   */
  private async authenticate(token: string): Promise<TokenPrincipal | PersonPrincipal> {
    if (this.oidc && looksLikeJwt(token)) {
      try {
        return await this.oidc.verify(token);
      } catch (error) {
        const holder = await this.tokens.authenticate(token);
        if (holder) return holder;
        throw error;
      }
    }
    const holder = await this.tokens.authenticate(token);
    if (!holder) throw new BatonError('unauthorized', 'invalid or revoked token');
    return holder;
  }

  /** Asks the policy engine about a caller performing `action` on an HTTP route (denies are logged). */
  private decide(principal: TokenPrincipal | PersonPrincipal, action: PolicyAction, route: string, path: string) {
    return this.authorizer.decide({
      principal: policyPrincipalOf(principal),
      action,
      resource: { type: 'Route', id: route },
      context: { method: route.slice(0, route.indexOf(' ')), path: path.split('?')[0] ?? path },
    });
  }

  /** Whether people sign in with OIDC, any token exists or BATON_BOOTSTRAP_TOKEN is set. */
  async isAuthEnabled(): Promise<boolean> {
    return Boolean(this.oidc) || this.tokens.isAuthEnabled();
  }
}

/**
 * A caller as Cedar's principal: a person `Baton::Person::"<sub>"` (groups as parents), an agent
 * credential `Baton::Agent::"<agent name>"`, any other token `Baton::Token::"<id>"`.
 */
export function policyPrincipalOf(principal: TokenPrincipal | PersonPrincipal): PolicyPrincipal {
  if ('subject' in principal) {
    const { subject, name, role, owner, groups } = principal;
    return { type: 'Person', id: subject, name, role, owner, groups };
  }
  const who = principal.agent !== undefined ? { type: 'Agent' as const, id: principal.agent } : { type: 'Token' as const, id: principal.tokenId };
  return { ...who, name: principal.name, role: principal.role, owner: principal.owner };
}

function presentedToken(request: AccessRequest, path: string, rule: AccessRule): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  if (!rule.queryToken) return undefined;
  const query = path.includes('?') ? path.slice(path.indexOf('?') + 1) : '';
  return new URLSearchParams(query).get('access_token') ?? undefined;
}
