import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal } from '../principal.js';
import type { Principal } from '../token.types.js';

/** `GET /api/v1/whoami`: the caller as the guard saw it (a token's name and role, or anonymous). */
@Controller('api/v1/whoami')
export class WhoAmIController {
  @Get()
  whoami(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }
}
