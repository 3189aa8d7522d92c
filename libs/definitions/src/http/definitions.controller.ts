import { Body, Controller, Get, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BatonError } from '@baton/common';
import { OrchestrationDefinitionService } from '../definition.service.js';
import { toDefinitionResponse, type DefinitionResponse } from './definition-response.js';

/**
 * REST for definitions. Bodies are taken as `unknown` (no DTO) on purpose: a definition is
 * open-ended JSON or a YAML string, and the service's validator reports every problem by
 * path, which a class-validator DTO could not do for nested steps and templates.
 */
@Controller('api/v1/definitions')
export class DefinitionsController {
  constructor(@Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService) {}

  /** 201 when the version was created, 200 when an identical one already existed. */
  @Post()
  async register(@Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<DefinitionResponse> {
    const { definition, created } = await this.definitions.register(body);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return toDefinitionResponse(definition);
  }

  /** The latest version of each saved definition: `{ items, nextCursor }`. */
  @Get()
  async list(
    @Query('owner') owner?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<{ items: DefinitionResponse[]; nextCursor: string | null }> {
    const page = await this.definitions.list({ owner, limit: parseLimit(limit), cursor });
    return { items: page.items.map(toDefinitionResponse), nextCursor: page.nextCursor ?? null };
  }

  @Get(':name')
  async latest(@Param('name') name: string, @Query('owner') owner?: string): Promise<DefinitionResponse> {
    return toDefinitionResponse(await this.definitions.getLatest(name, owner ?? ''));
  }

  /** Every saved version of one definition, newest first: `{ name, owner, items }` (no bodies). */
  @Get(':name/versions')
  async versions(@Param('name') name: string, @Query('owner') owner?: string) {
    const ownerName = owner ?? '';
    return { name, owner: ownerName, items: await this.definitions.listVersions(name, ownerName) };
  }

  @Get(':name/versions/:version')
  async version(
    @Param('name') name: string,
    @Param('version') version: string,
    @Query('owner') owner?: string,
  ): Promise<DefinitionResponse> {
    return toDefinitionResponse(await this.definitions.getVersion(name, version, owner ?? ''));
  }
}

function parseLimit(limit: string | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!/^\d+$/.test(limit)) throw BatonError.validation([{ path: 'limit', message: 'must be a positive integer' }]);
  return Number(limit);
}
