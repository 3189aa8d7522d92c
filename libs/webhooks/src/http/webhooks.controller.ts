import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query } from '@nestjs/common';
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
  async create(@Body() body: CreateWebhookDto): Promise<WebhookResponse> {
    return toWebhookResponse(await this.webhooks.create(body), true);
  }

  @Get()
  async list(): Promise<{ items: WebhookResponse[] }> {
    return { items: (await this.webhooks.list()).map((s) => toWebhookResponse(s)) };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<WebhookResponse> {
    return toWebhookResponse(await this.webhooks.get(id));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('id') id: string): Promise<void> {
    await this.webhooks.remove(id);
  }

  /** A dead delivery back in the outbox, due now: 200 with it (`status: pending`). */
  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(HttpStatus.OK)
  async redeliver(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<DeliveryResponse> {
    return toDeliveryResponse(await this.webhooks.redeliver(id, deliveryId));
  }

  /** Newest first; `nextCursor` pages on, null at the end. */
  @Get(':id/deliveries')
  async deliveries(
    @Param('id') id: string,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<{ items: DeliveryResponse[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const items = await this.webhooks.deliveriesOf(id, {
      status: query.status,
      limit,
      beforePosition: query.cursor ? Number(query.cursor) : undefined,
    });
    const last = items[items.length - 1];
    return { items: items.map(toDeliveryResponse), nextCursor: items.length === limit && last ? String(last.position) : null };
  }
}
