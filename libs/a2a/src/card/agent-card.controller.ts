import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { sha256Hex } from '@baton/common';
import { A2A_OPTIONS, type A2aModuleOptions } from '../a2a.options.js';
import { AgentCardService } from './agent-card.service.js';
import { renderCardV03 } from './card-v03.js';
import { renderCardV10 } from './card-v10.js';

/**
 * `GET /.well-known/agent-card.json` (public): the v1.0 card for `A2A-Version: 1.0`, the v0.3
 * card otherwise. Cached for a minute, with an ETag over the exact JSON sent (skills change
 * when definitions are saved) and `Vary: A2A-Version`.
 */
@Controller()
export class AgentCardController {
  constructor(
    @Inject(AgentCardService) private readonly cards: AgentCardService,
    @Inject(A2A_OPTIONS) private readonly options: A2aModuleOptions,
  ) {}

  @Get('.well-known/agent-card.json')
  async card(@Req() request: Request, @Res() response: Response): Promise<void> {
    const base = (this.options.publicUrl ?? `${request.protocol}://${request.get('host')}`).replace(/\/+$/, '');
    const view = await this.cards.card(base);
    const v1 = request.header('a2a-version')?.trim() === '1.0';
    const body = JSON.stringify(v1 ? renderCardV10(view) : renderCardV03(view));
    const etag = `"${sha256Hex(body).slice(0, 32)}"`;
    response.set({ 'Cache-Control': 'public, max-age=60', ETag: etag, Vary: 'A2A-Version' });
    const wanted = request.header('if-none-match');
    if (wanted && wanted.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      response.status(304).end();
      return;
    }
    response.status(200).type('application/json').send(body);
  }
}
