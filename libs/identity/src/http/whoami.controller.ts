import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal } from '../principal.js';
import type { Principal } from '../token.types.js';

/**
 * `GET /api/v1/whoami`: the caller as the guard saw it: a token's name and role, a person
 * (`{ kind: 'person', subject, name, email, role, groups, owner }`), or anonymous.
 */
@Controller('api/v1/whoami')
export class WhoAmIController {
  @Get()
  whoami(@CurrentPrincipal() principal: Principal): Record<string, unknown> {
    if ('subject' in principal) {
      const { subject, name, email, role, groups, owner, issuer } = principal;
      return { kind: 'person', subject, name, email: email ?? null, role, groups, owner: owner ?? null, issuer };
    }
    return { ...principal };
  }
}
