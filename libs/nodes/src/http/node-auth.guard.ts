import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { BatonError } from '@baton/common';
import { NodesService } from '../nodes.service.js';
import type { WorkerNode } from '../node.types.js';

export interface RequestWithNode {
  node?: WorkerNode;
}

/**
 * The node protocol's own authentication: `Authorization: Bearer <node token>` for the node
 * in the path. These routes are `public` in the access policy (an API token is not a node
 * token); this guard runs before validation, so a caller without the node's token learns
 * nothing about the body it sent.
 */
@Injectable()
export class NodeAuthGuard implements CanActivate {
  constructor(@Inject(NodesService) private readonly nodes: NodesService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & RequestWithNode>();
    const id = String(request.params.id ?? '');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new BatonError('unauthorized', 'invalid node token for this node');
    request.node = await this.nodes.authenticate(id, bearerOf(request));
    return true;
  }
}

/** Registration: the registration token, checked before the body is. */
@Injectable()
export class RegistrationGuard implements CanActivate {
  constructor(@Inject(NodesService) private readonly nodes: NodesService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.nodes.checkRegistrationToken(bearerOf(context.switchToHttp().getRequest<Request>()));
    return true;
  }
}

export function bearerOf(request: Request): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.header('authorization') ?? '')?.[1];
}
