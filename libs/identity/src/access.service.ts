import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { BatonError } from '@baton/common';
import { AccessPolicy, type AccessRule } from './access-policy.js';
import { roleAllows, rolesWith } from './roles.js';
import { TokenService } from './token.service.js';
import type { Principal } from './token.types.js';

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
  ) {}

  /**
   * The caller, when allowed. Throws BatonError `unauthorized` (401: no token, or an unknown
   * or revoked one) or `forbidden` (403: a valid token whose role lacks the permission).
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
    if (roleAllows(principal.role, rule.access)) return principal;
    throw new BatonError(
      'forbidden',
      `role ${principal.role} may not ${method} ${path.split('?')[0]}: needs ${rule.access} (held by ${rolesWith(rule.access).join(', ')})`,
    );
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
