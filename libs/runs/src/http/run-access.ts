import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { BatonError } from '@baton/common';
import { PolicyAuthorizer, type PolicyAction } from '@baton/policy';
import { RunQueryService } from '../services/run-query.service.js';

interface RequestPrincipal {
  tokenId?: unknown;
  name?: unknown;
  role?: unknown;
  owner?: unknown;
}

/**
 * The resource-level half of a steering route's authorization (issue 13). The identity guard
 * already decided the action on the route, before the run was loaded; here the run is known,
 * so the policy set is asked again with `Baton::Run::"<id>"` and its `owner`, which lets a
 * policy forbid steering one tenant's runs. Tenancy comes first: another owner's run is a 404
 * for a token bound to an owner. With auth off (no principal) only existence is checked.
 */
@Injectable()
export class RunAccess {
  constructor(
    @Inject(RunQueryService) private readonly query: RunQueryService,
    @Inject(PolicyAuthorizer) private readonly authorizer: PolicyAuthorizer,
  ) {}

  async check(id: string, action: PolicyAction, request: Request): Promise<void> {
    const principal = (request as unknown as { principal?: RequestPrincipal }).principal;
    if (typeof principal?.tokenId !== 'string') return;
    const run = await this.query.getRun(id);
    const bound = typeof principal.owner === 'string' ? principal.owner : undefined;
    if (bound !== undefined && run.owner !== bound) throw BatonError.notFound('run', id);
    const path = (request.originalUrl ?? request.url ?? '').split('?')[0] ?? '';
    const decision = this.authorizer.decide({
      principal: { type: 'Token', id: principal.tokenId, name: String(principal.name), role: String(principal.role), owner: bound },
      action,
      resource: { type: 'Run', id, attrs: { owner: run.owner } },
      context: { method: request.method.toUpperCase(), path },
    });
    if (decision.allowed) return;
    throw new BatonError(
      'forbidden',
      `${String(principal.name)} may not ${action} run ${id} (owner ${run.owner || '""'}; denied by policy version ${decision.version})`,
    );
  }
}
