import { Body, Controller, Delete, Get, Inject, Param, Post } from '@nestjs/common';
import { TokenService } from '../token.service.js';
import { CreateTokenDto } from './create-token.dto.js';
import { toTokenResponse, type TokenResponse } from './token-response.mapper.js';

/** API tokens over REST; admin only (see the policy table). */
@Controller('api/v1/tokens')
export class TokensController {
  constructor(@Inject(TokenService) private readonly tokens: TokenService) {}

  /** Creates a token: 201 with `token`, the secret, shown this once. */
  @Post()
  async create(@Body() body: CreateTokenDto): Promise<TokenResponse & { token: string }> {
    const { token, apiToken } = await this.tokens.create(body);
    return { ...toTokenResponse(apiToken), token };
  }

  /** Every token, revoked ones included (with `revokedAt`). */
  @Get()
  async list(): Promise<{ items: TokenResponse[] }> {
    return { items: (await this.tokens.list()).map(toTokenResponse) };
  }

  /** Revokes the live token with this name or id: 200 with the revoked token, 404 if none. */
  @Delete(':name')
  async revoke(@Param('name') name: string): Promise<TokenResponse> {
    return toTokenResponse(await this.tokens.revoke(name));
  }
}
