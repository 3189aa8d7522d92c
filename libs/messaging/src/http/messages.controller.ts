import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { CurrentPrincipal, type Principal } from '@baton/identity';
import { InboxService } from '../inbox.service.js';
import { MessagingService } from '../messaging.service.js';
import { toInboxResponse, toMessageResponse } from './message.presenter.js';
import { InboxQueryDto, ListQueryDto, SendMessageDto, targetOf } from './send-message.dto.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sending messages, the caller's pull inbox, and the message log. */
@Controller('api/v1/messages')
export class MessagesController {
  constructor(
    @Inject(MessagingService) private readonly messaging: MessagingService,
    @Inject(InboxService) private readonly inbox: InboxService,
  ) {}

  /** 201 once the message is logged and queued for every recipient (`recipients`). */
  @Post()
  async send(@CurrentPrincipal() caller: Principal, @Body() body: SendMessageDto): Promise<Record<string, unknown>> {
    const { message, recipients } = await this.messaging.send(caller, {
      to: targetOf(body.to),
      kind: body.kind,
      type: body.type,
      payload: body.payload,
      nonce: body.nonce,
      correlationId: body.correlation_id,
      replyTo: body.reply_to,
      ttlSeconds: body.ttl_seconds,
      runId: body.run_id,
    });
    return { ...toMessageResponse(message), recipients };
  }

  /** Leases the caller's next messages; `?wait=` seconds long-polls an empty inbox. */
  @Get('inbox')
  async pull(@CurrentPrincipal() caller: Principal, @Query() query: InboxQueryDto, @Req() request: IncomingMessage): Promise<{ items: Record<string, unknown>[] }> {
    const abort = new AbortController();
    // A client that hangs up ends its long poll (so it leases nothing it will never see).
    const response = (request as IncomingMessage & { res?: ServerResponse }).res;
    const onClose = (): void => abort.abort();
    response?.on('close', onClose);
    try {
      const items = await this.inbox.pull(caller, { limit: query.limit ?? 10, waitSeconds: query.wait ?? 0, signal: abort.signal });
      return { items: items.map(toInboxResponse) };
    } finally {
      response?.off('close', onClose);
    }
  }

  /** Done with an entry: it is never delivered again. Acking twice is fine. */
  @Post('inbox/:deliveryId/ack')
  @HttpCode(HttpStatus.OK)
  async ack(@CurrentPrincipal() caller: Principal, @Param('deliveryId') deliveryId: string): Promise<{ delivery_id: string; status: 'acked' }> {
    if (!UUID.test(deliveryId)) throw BatonError.notFound('inbox entry', deliveryId);
    await this.inbox.ack(caller, deliveryId);
    return { delivery_id: deliveryId, status: 'acked' };
  }

  /** The message log, newest first (accepted and denied). */
  @Get()
  async list(@Query() query: ListQueryDto): Promise<{ items: Record<string, unknown>[] }> {
    return { items: (await this.messaging.list(query.limit ?? 50)).map(toMessageResponse) };
  }

  /** One logged message with its per-recipient delivery state. */
  @Get(':id')
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!UUID.test(id)) throw BatonError.notFound('message', id);
    const { message, deliveries } = await this.messaging.get(id);
    return { ...toMessageResponse(message), deliveries };
  }
}
