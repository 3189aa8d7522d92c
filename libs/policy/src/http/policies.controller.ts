import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BatonError } from '@baton/common';
import { DecisionLogService } from '../decision-log/decision-log.service.js';
import { PolicyService, type VersionRef } from '../policy.service.js';
import { DEFAULT_POLICY_VERSION } from '../policy-version.types.js';
import { CreatePolicyDto } from './create-policy.dto.js';
import { EvaluatePolicyDto } from './evaluate-policy.dto.js';
import { ListDecisionsQueryDto } from './list-decisions.dto.js';
import { toActiveResponse, toDecisionResponse, toVersionResponse } from './policy-response.mapper.js';

/**
 * Policy sets: store (validated first), list, read, diff, activate, roll back. Who may call
 * these is itself policy (`read`, `policy.manage`), checked by the identity guard.
 */
@Controller('api/v1/policies')
export class PoliciesController {
  constructor(
    @Inject(PolicyService) private readonly policies: PolicyService,
    @Inject(DecisionLogService) private readonly decisions: DecisionLogService,
  ) {}

  @Post()
  async create(@Body() body: CreatePolicyDto, @Req() request: object, @Res({ passthrough: true }) response: Response) {
    const by = actorOf(request);
    const { version, created } = await this.policies.create({ body: body.policy, description: body.description, createdBy: by });
    if (body.activate) await this.policies.activate(version.version, by);
    response.status(created ? 201 : 200);
    return toVersionResponse(version, await this.policies.active(), true);
  }

  @Get()
  async list() {
    const { active, items } = await this.policies.list();
    return { active: toActiveResponse(active), items: items.map((item) => toVersionResponse(item, active)) };
  }

  @Get('active')
  async active() {
    return toActiveResponse(await this.policies.active(), true);
  }

  /** The decision log, newest first: denies and sensitive allows (docs/policy.md#the-decision-log). */
  @Get('decisions')
  async listDecisions(@Query() query: ListDecisionsQueryDto) {
    const items = await this.decisions.list({ decision: query.decision, action: query.action, principal: query.principal, limit: query.limit ?? 100 });
    return { items: items.map(toDecisionResponse) };
  }

  /** "Would this be allowed, and why?" Evaluates, changes nothing. */
  @Post('evaluate')
  @HttpCode(200)
  async evaluate(@Body() body: EvaluatePolicyDto) {
    const ref = body.version === undefined ? undefined : versionRef(body.version, 'version');
    const { principal } = body;
    return this.policies.evaluate(
      {
        principal: {
          type: principal.type ?? 'Token',
          id: principal.type === 'Agent' ? principal.name : `evaluate:${principal.name}`,
          name: principal.name,
          role: principal.role,
          groups: principal.groups,
          owner: principal.owner,
          capabilities: principal.capabilities,
        },
        action: body.action,
        resource: { type: body.resource.type, id: body.resource.id, attrs: body.resource.attrs },
        context: body.context,
      },
      ref,
    );
  }

  @Post('rollback')
  @HttpCode(200)
  async rollback(@Req() request: object) {
    return toActiveResponse(await this.policies.rollback(actorOf(request)));
  }

  @Get(':version')
  async get(@Param('version') raw: string) {
    const ref = versionRef(raw, 'version');
    const found = await this.policies.get(ref);
    if ('activationId' in found) return toActiveResponse(found, true);
    return toVersionResponse(found, await this.policies.active(), true);
  }

  @Get(':version/diff')
  async diff(@Param('version') raw: string, @Query('from') from?: string) {
    const to = versionRef(raw, 'version');
    const base = from === undefined ? (to === DEFAULT_POLICY_VERSION || to <= 1 ? DEFAULT_POLICY_VERSION : to - 1) : versionRef(from, 'from');
    return this.policies.diff(base, to);
  }

  @Post(':version/activate')
  @HttpCode(200)
  async activate(@Param('version') raw: string, @Req() request: object) {
    return toActiveResponse(await this.policies.activate(versionRef(raw, 'version'), actorOf(request)));
  }
}

function versionRef(raw: string, path: string): VersionRef {
  if (raw === DEFAULT_POLICY_VERSION) return DEFAULT_POLICY_VERSION;
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw BatonError.validation([{ path, message: `must be a version number or "default", got "${raw.slice(0, 40)}"` }]);
  return Number(raw);
}

/**
 * The caller as recorded in `created_by`/`activated_by`: `token:<name>`. Read off the request
 * the identity guard annotated (identity sits on a floor above this library, so it cannot be
 * imported here); `anonymous` when auth is off.
 */
function actorOf(request: object): string {
  const principal = (request as { principal?: { name?: string } }).principal;
  return principal?.name ? `token:${principal.name}` : 'anonymous';
}
