import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from './token.types.js';

/** Requests carry their caller here once the access guard has run. */
export interface RequestWithPrincipal {
  principal?: Principal;
}

/** The caller of `request`; anonymous when auth is off, on public routes, or before the guard. */
export function principalOf(request: object): Principal {
  return (request as RequestWithPrincipal).principal ?? { anonymous: true };
}

/** A short, stable label for audit columns: `token:<name>`, `agent:<name>` (an agent credential), `person:<subject>` or `anonymous`. */
export function principalLabel(principal: Principal): string {
  if ('anonymous' in principal) return 'anonymous';
  if ('subject' in principal) return `person:${principal.subject}`;
  return principal.agent !== undefined ? `agent:${principal.agent}` : `token:${principal.name}`;
}

/** The API token behind a principal; null for people and anonymous callers. */
export function principalTokenId(principal: Principal): string | null {
  return 'tokenId' in principal ? principal.tokenId : null;
}

/**
 * Injects the caller into a controller method:
 * `decide(@CurrentPrincipal() who: Principal)`, then store `principalLabel(who)` or `who.tokenId`.
 */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal =>
  principalOf(context.switchToHttp().getRequest()),
);
