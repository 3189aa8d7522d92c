import { Body, Controller, Get, HttpStatus, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { BatonError, boundOwnerOf, ownerForCreate } from '@baton/common';
import { OrchestrationDefinitionService } from '../definition.service.js';
import {
  SUMMARY_ABOVE_STEPS,
  returnPreference,
  toDefinitionResponse,
  toDefinitionSummary,
  type DefinitionResponse,
  type DefinitionSummaryResponse,
} from './definition-response.js';

/**
 * REST for definitions. Bodies are taken as `unknown` (no DTO) on purpose: a definition is
 * open-ended JSON or a YAML string, and the service's validator reports every problem by
 * path, which a class-validator DTO could not do for nested steps and templates.
 */
@Controller('api/v1/definitions')
export class DefinitionsController {
  constructor(@Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService) {}

  /**
   * 201 when the version was created, 200 when an identical one already existed. The answer
   * is the stored definition, or a summary without the body (see `toDefinitionSummary`)
   * when it has more than SUMMARY_ABOVE_STEPS steps or the client prefers `return=minimal`;
   * `Prefer: return=representation` asks for the whole body whatever its size.
   */
  @Post()
  async register(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DefinitionResponse | DefinitionSummaryResponse> {
    // A bound token stores under its own owner: a body naming another is refused (403).
    const bound = boundOwnerOf(request);
    const named = typeof body === 'object' && body !== null ? (body as { owner?: unknown }).owner : undefined;
    if (typeof named === 'string') ownerForCreate(bound, named);
    const { definition, created } = await this.definitions.register(body, bound);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    const preference = returnPreference(request.headers.prefer);
    if (preference) response.setHeader('Preference-Applied', `return=${preference}`);
    const summary = preference ? preference === 'minimal' : definition.steps.length > SUMMARY_ABOVE_STEPS;
    return summary ? toDefinitionSummary(definition) : toDefinitionResponse(definition);
  }

  /** The latest version of each saved definition: `{ items, nextCursor }`. */
  @Get()
  async list(
    @Query('owner') owner?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
    @Req() request?: Request,
  ): Promise<{ items: DefinitionResponse[]; nextCursor: string | null }> {
    const owners = readableOwners(request);
    if (owners && owner !== undefined && !owners.includes(owner)) return { items: [], nextCursor: null };
    const page = await this.definitions.list({ owner, owners, limit: parseLimit(limit), cursor });
    return { items: page.items.map(toDefinitionResponse), nextCursor: page.nextCursor ?? null };
  }

  @Get(':name')
  async latest(@Param('name') name: string, @Query('owner') owner: string | undefined, @Req() request: Request): Promise<DefinitionResponse> {
    const ownerName = ownerToRead(request, owner, name);
    return toDefinitionResponse(await this.definitions.getLatest(name, ownerName));
  }

  /** Every saved version of one definition, newest first: `{ name, owner, items }` (no bodies). */
  @Get(':name/versions')
  async versions(@Param('name') name: string, @Query('owner') owner: string | undefined, @Req() request: Request) {
    const ownerName = ownerToRead(request, owner, name);
    return { name, owner: ownerName, items: await this.definitions.listVersions(name, ownerName) };
  }

  @Get(':name/versions/:version')
  async version(
    @Param('name') name: string,
    @Param('version') version: string,
    @Query('owner') owner: string | undefined,
    @Req() request: Request,
  ): Promise<DefinitionResponse> {
    const ownerName = ownerToRead(request, owner, name, version);
    return toDefinitionResponse(await this.definitions.getVersion(name, version, ownerName));
  }
}

function parseLimit(limit: string | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!/^\d+$/.test(limit)) throw BatonError.validation([{ path: 'limit', message: 'must be a positive integer' }]);
  return Number(limit);
}

/**
 * Tenancy (issue 13): a bound token reads its own owner's definitions and the shared ones
 * (owner `""`, hub-wide, read-only to it); undefined: every owner.
 */
function readableOwners(request: Request | undefined): string[] | undefined {
  const bound = request ? boundOwnerOf(request) : undefined;
  return bound === undefined ? undefined : [bound, ''];
}

/**
 * The owner a single-definition read looks in: `?owner=`, else the caller's own (a bound
 * token's owner, `""` for the rest). Another owner's definition is a 404 like a missing one.
 */
function ownerToRead(request: Request, owner: string | undefined, name: string, version?: string): string {
  const bound = boundOwnerOf(request);
  const wanted = owner ?? bound ?? '';
  if (bound !== undefined && wanted !== bound && wanted !== '') {
    // Word for word the service's message for a missing one.
    throw BatonError.notFound('definition', `"${wanted}/${name}"${version !== undefined ? ` version ${version}` : ''}`);
  }
  return wanted;
}
