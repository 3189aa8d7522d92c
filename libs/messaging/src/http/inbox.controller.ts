import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentPrincipal, type Principal } from '@baton/identity';
import { InboxEndpointService } from '../inbox-endpoint.service.js';
import { InboxStreamService } from '../inbox-stream.service.js';

/** `PUT /api/v1/messages/inbox/endpoint`: where Baton pushes the caller's mail. */
export class InboxEndpointDto {
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string;

  /** A registered A2A agent to send the mail to as A2A messages, instead of `url`. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  a2a_agent?: string;
}

function presentEndpoint(endpoint: { agent: string; url: string | null; a2aAgent: string | null; updatedAt: Date }): Record<string, unknown> {
  return { agent: endpoint.agent, url: endpoint.url, a2a_agent: endpoint.a2aAgent, updated_at: endpoint.updatedAt.toISOString() };
}

/** The caller's inbox as a push endpoint or an SSE stream (pulls are in `MessagesController`). */
@Controller('api/v1/messages/inbox')
export class InboxController {
  constructor(
    @Inject(InboxEndpointService) private readonly endpoints: InboxEndpointService,
    @Inject(InboxStreamService) private readonly streams: InboxStreamService,
  ) {}

  /** Sets the push URL; the answer holds the signing secret, shown only now. */
  @Put('endpoint')
  async setEndpoint(@CurrentPrincipal() caller: Principal, @Body() body: InboxEndpointDto): Promise<Record<string, unknown>> {
    const endpoint = await this.endpoints.set(caller, { url: body.url, a2aAgent: body.a2a_agent });
    return { ...presentEndpoint(endpoint), secret: endpoint.secret };
  }

  @Get('endpoint')
  async getEndpoint(@CurrentPrincipal() caller: Principal): Promise<Record<string, unknown>> {
    return presentEndpoint(await this.endpoints.get(caller));
  }

  @Delete('endpoint')
  @HttpCode(HttpStatus.NO_CONTENT)
  async removeEndpoint(@CurrentPrincipal() caller: Principal): Promise<void> {
    await this.endpoints.remove(caller);
  }

  /**
   * Server-Sent Events: each `message` event is a leased inbox entry (`id` = its position),
   * acknowledged with `POST /inbox/:deliveryId/ack`. Reconnecting with `Last-Event-ID` sends
   * again at once what the dropped connection sent after that id.
   */
  @Get('stream')
  async stream(@CurrentPrincipal() caller: Principal, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.streams.serve(caller, request.header('last-event-id') ?? (request.query.last_event_id as string | undefined), response);
  }
}
