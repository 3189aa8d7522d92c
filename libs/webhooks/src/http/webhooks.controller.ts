import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { boundOwnerOf, ownerForCreate } from '@baton/common';
import { WebhookSubscriptionService } from '../webhook-subscription.service.js';
import { CreateWebhookDto, ListDeliveriesQueryDto } from './create-webhook.dto.js';
import { toDeliveryResponse, toWebhookResponse, type DeliveryResponse, type WebhookResponse } from './webhook.presenter.js';

const DEFAULT_PAGE = 50;

/** Webhook subscriptions and their deliveries over REST. */
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(@Inject(WebhookSubscriptionService) private readonly webhooks: WebhookSubscriptionService) {}

  /** 201 with the secret: the only time it is shown. */
  @Post()
  async create(@Body() body: CreateWebhookDto, @Req() request: Request): Promise<WebhookResponse> {
    // Tenancy: a bound token's subscription is its owner's (another owner is a 403).
    const owner = ownerForCreate(boundOwnerOf(request), body.owner);
    return toWebhookResponse(await this.webhooks.create({ ...body, owner }), true);
  }

  @Get()
  async list(@Req() request: Request): Promise<{ items: WebhookResponse[] }> {
    return { items: (await this.webhooks.list(boundOwnerOf(request))).map((s) => toWebhookResponse(s)) };
  }

  @Get(':id')
  async get(@Param('id') id: string, @Req() request: Request): Promise<WebhookResponse> {
    return toWebhookResponse(await this.webhooks.get(id, boundOwnerOf(request)));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('id') id: string, @Req() request: Request): Promise<void> {
    await this.webhooks.remove(id, boundOwnerOf(request));
  }

  /** A dead delivery back in the outbox, due now: 200 with it (`status: pending`). */
  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(HttpStatus.OK)
  async redeliver(@Param('id') id: string, @Param('deliveryId') deliveryId: string, @Req() request: Request): Promise<DeliveryResponse> {
    return toDeliveryResponse(await this.webhooks.redeliver(id, deliveryId, boundOwnerOf(request)));
  }

  /** Newest first; `nextCursor` pages on, null at the end. */
  @Get(':id/deliveries')
  async deliveries(
    @Param('id') id: string,
    @Query() query: ListDeliveriesQueryDto,
    @Req() request: Request,
  ): Promise<{ items: DeliveryResponse[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const items = await this.webhooks.deliveriesOf(id, {
      status: query.status,
      limit,
      beforePosition: query.cursor ? Number(query.cursor) : undefined,
    }, boundOwnerOf(request));
    const last = items[items.length - 1];
    return { items: items.map(toDeliveryResponse), nextCursor: items.length === limit && last ? String(last.position) : null };
  }
}
