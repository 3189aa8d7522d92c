import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request } from 'express';
import type { Response } from 'express';
import { BatonConfig, sha256Hex } from '@baton/common';
import { A2A_OPTIONS, type A2aModuleOptions } from '../a2a.options.js';
import { protocolOf } from '../protocol/protocol-version.js';
import { AgentCardService } from './agent-card.service.js';
import { renderCardV03 } from './card-v03.js';
import { renderCardV10 } from './card-v10.js';

/**
 * `GET /.well-known/agent-card.json` (public): the v1.0 card for `A2A-Version: 1.0`, the v0.3
 * card for `0.3`, and without the header the one `BATON_A2A_DEFAULT_VERSION` names (default
 * 0.3, as the spec's negotiation rule reads a missing header). Cached for a minute, with an
 * ETag over the exact JSON sent and `Last-Modified` (skills change when definitions are
 * saved), and `Vary: A2A-Version`.
 */
@Controller()
export class AgentCardController {
  constructor(
    @Inject(AgentCardService) private readonly cards: AgentCardService,
    @Inject(A2A_OPTIONS) private readonly options: A2aModuleOptions,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  @Get('.well-known/agent-card.json')
  async card(@Req() request: Request, @Res() response: Response): Promise<void> {
    const view = await this.cards.card(baseUrlOf(request, this.options));
    const header = request.header('a2a-version');
    const version = header?.trim() ? (protocolOf(header) ?? '1.0') : this.config.a2aDefaultVersion;
    const body = JSON.stringify(version === '1.0' ? renderCardV10(view) : renderCardV03(view));
    const etag = `"${sha256Hex(body).slice(0, 32)}"`;
    response.set({ 'Cache-Control': 'public, max-age=60', ETag: etag, 'Last-Modified': view.lastModified.toUTCString(), Vary: 'A2A-Version' });
    if (notModified(request, etag, view.lastModified)) {
      response.status(304).end();
      return;
    }
    response.status(200).type('application/json').send(body);
  }
}

/** The base URL the card advertises: `publicUrl`, else the request's protocol and Host. */
export function baseUrlOf(request: Request, options: A2aModuleOptions): string {
  return (options.publicUrl ?? `${request.protocol}://${request.get('host')}`).replace(/\/+$/, '');
}

/** RFC 9110 §13.1: If-None-Match wins; If-Modified-Since counts only without it. */
function notModified(request: Request, etag: string, lastModified: Date): boolean {
  const wanted = request.header('if-none-match');
  if (wanted) return wanted.split(',').some((tag) => tag.trim() === '*' || tag.trim().replace(/^W\//, '') === etag);
  const since = Date.parse(request.header('if-modified-since') ?? '');
  return !Number.isNaN(since) && lastModified.getTime() <= since;
}
