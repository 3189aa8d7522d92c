import { Controller, Get, HttpCode, HttpStatus, Inject, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { SigningKeysService } from './signing-keys.service.js';
import type { PublicJwk } from './signing-key.repository.js';

/**
 * `GET /.well-known/jwks.json` (public): the keys agents verify call tokens with, cacheable for
 * a minute (a rotated-in key is published BATON_SIGNING_KEY_PUBLISH_SECONDS before it signs;
 * a replaced one stays BATON_SIGNING_KEY_OVERLAP_HOURS).
 * `POST /api/v1/signing-keys/rotate` (admin): stages a new generated key.
 */
@Controller()
export class JwksController {
  constructor(@Inject(SigningKeysService) private readonly keys: SigningKeysService) {}

  @Get('.well-known/jwks.json')
  async jwks(@Res({ passthrough: true }) response: Response): Promise<{ keys: PublicJwk[] }> {
    response.set({ 'Cache-Control': 'public, max-age=60', 'Content-Type': 'application/jwk-set+json' });
    return this.keys.jwks();
  }

  @Post('api/v1/signing-keys/rotate')
  @HttpCode(HttpStatus.OK)
  async rotate(): Promise<{ kid: string; activatesAt: string; keys: PublicJwk[] }> {
    const key = await this.keys.rotate();
    return { kid: key.kid, activatesAt: key.activatesAt.toISOString(), ...(await this.keys.jwks()) };
  }
}
