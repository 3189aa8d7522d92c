import { Body, Controller, Delete, Get, Inject, Param, Post } from '@nestjs/common';
import { IsOptional, Matches } from 'class-validator';
import { BatonError } from '@baton/common';
import { AgentRegistryService } from '@baton/agents';
import { TokenService } from '../token.service.js';
import { toTokenResponse, type TokenResponse } from './token-response.mapper.js';

export class CreateAgentCredentialDto {
  /** Binds the credential to one owner (tenancy), as for tokens. Absent: all owners. */
  @IsOptional()
  @Matches(/^\S{1,200}$/, { message: 'must be 1-200 characters without whitespace' })
  owner?: string;
}

/**
 * Agent credentials (issue 13): tokens bound to one registered agent, with which the agent
 * calls Baton (A2A, messages, runs) as itself — Cedar sees `Baton::Agent::"<name>"` with role
 * `agent`. Admin only (`token.manage`), like every token.
 */
@Controller('api/v1/agents/:name/credentials')
export class AgentCredentialsController {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(AgentRegistryService) private readonly agents: AgentRegistryService,
  ) {}

  /** Issues a credential: 201 with `token`, the secret, shown this once. 404 for an unknown agent. */
  @Post()
  async create(@Param('name') name: string, @Body() body: CreateAgentCredentialDto): Promise<TokenResponse & { token: string }> {
    const agent = await this.agents.get(name);
    if (agent.kind === 'builtin') throw new BatonError('conflict', `built-in agent ${name} runs inside Baton and calls nobody: it has no credentials`);
    const { token, apiToken } = await this.tokens.createForAgent(agent.name, { owner: body.owner });
    return { ...toTokenResponse(apiToken), token };
  }

  /** The agent's credentials, revoked ones included (metadata only, never a secret). */
  @Get()
  async list(@Param('name') name: string): Promise<{ items: TokenResponse[] }> {
    return { items: (await this.tokens.listForAgent(name)).map(toTokenResponse) };
  }

  /** Revokes one live credential of the agent by id or name: 200 with it, 404 if none. */
  @Delete(':id')
  async revoke(@Param('name') name: string, @Param('id') id: string): Promise<TokenResponse> {
    return toTokenResponse(await this.tokens.revokeForAgent(name, id));
  }
}
