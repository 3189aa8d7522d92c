import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { BatonError } from '@baton/common';
import { groupOf, PolicyEngine, type PolicyAction } from '@baton/policy';
import { AccessPolicy, type AccessRule } from './access-policy.js';
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
    @Inject(PolicyEngine) private readonly engine: PolicyEngine,
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
    if (!(await this.tokens.isAuthEnabled())) return ANONYMOUS;
    const token = presentedToken(request, path, rule);
    if (!token) throw new BatonError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>');
    const principal = await this.tokens.authenticate(token);
    if (!principal) throw new BatonError('unauthorized', 'invalid or revoked token');
    const route = `${method === 'HEAD' ? 'GET' : method} ${rule.pattern}`;
    const decision = this.decide(principal, rule.access, route, path);
    if (decision.allowed) return principal;
    throw new BatonError(
      'forbidden',
      `role ${principal.role} may not ${method} ${path.split('?')[0]}: needs ${groupOf(rule.access)} (action ${rule.access}; denied by policy version ${decision.version})`,
    );
  }

  /** Asks the policy engine about a token holder performing `action` on an HTTP route. */
  private decide(principal: TokenPrincipal, action: PolicyAction, route: string, path: string) {
    return this.engine.decide({
      principal: { type: 'Token', id: principal.tokenId, name: principal.name, role: principal.role, owner: principal.owner },
      action,
      resource: { type: 'Route', id: route },
      context: { method: route.slice(0, route.indexOf(' ')), path: path.split('?')[0] ?? path },
    });
  }

  /** Whether any token exists or BATON_BOOTSTRAP_TOKEN is set. */
  isAuthEnabled(): Promise<boolean> {
    return this.tokens.isAuthEnabled();
  }
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
