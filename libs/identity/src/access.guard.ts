import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { BatonError } from '@baton/common';
import { AccessService } from './access.service.js';
import type { RequestWithPrincipal } from './principal.js';

/**
 * The global guard (APP_GUARD): every HTTP route goes through the policy table in
 * `access-policy.ts`, so controllers stay free of role decorators.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(@Inject(AccessService) private readonly access: AccessService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Only HTTP routes pass through Nest guards here; WebSocket upgrades call AccessService.
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    try {
      request.principal = await this.access.authorize(request);
      return true;
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'unauthorized') {
        context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="baton"');
      }
      throw error;
    }
  }
}
