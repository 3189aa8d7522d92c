import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AgentRegistryService } from '../agent-registry.service.js';
import { toAgentResponse, type AgentResponse } from './agent-response.mapper.js';
import { ListAgentsQueryDto, RegisterAgentDto } from './register-agent.dto.js';

/** The agent registry over REST. */
@Controller('api/v1/agents')
export class AgentsController {
  constructor(@Inject(AgentRegistryService) private readonly registry: AgentRegistryService) {}

  /** Registers an agent, or replaces the one with that name: 201 when created, 200 when updated. */
  @Post()
  async register(
    @Body() body: RegisterAgentDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AgentResponse> {
    const { agent, created } = await this.registry.register(body);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return toAgentResponse(agent);
  }

  /** Every agent by name, built-ins included; `?capability=` keeps registered agents having it. */
  @Get()
  async list(@Query() query: ListAgentsQueryDto): Promise<{ items: AgentResponse[] }> {
    const agents = await this.registry.list({ capability: query.capability });
    return { items: agents.map(toAgentResponse) };
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<AgentResponse> {
    return toAgentResponse(await this.registry.get(name));
  }

  @Delete(':name')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('name') name: string): Promise<void> {
    await this.registry.remove(name);
  }
}
