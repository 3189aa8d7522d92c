import { Module } from '@nestjs/common';
import { EventsModule } from '@baton/events';
import { DestinationRepository } from './destination.repository.js';
import { DeliveryRepository } from './delivery.repository.js';
import { WebhookRendererRegistry } from './delivery-renderer.js';
import { DispatchCursorRepository } from './dispatch-cursor.repository.js';
import { WebhooksController } from './http/webhooks.controller.js';
import { SubscriptionRepository } from './subscription.repository.js';
import { WebhookDeliveryWorkerService } from './webhook-delivery-worker.service.js';
import { WebhookDispatcherService } from './webhook-dispatcher.service.js';
import { WebhookSubscriptionService } from './webhook-subscription.service.js';

/**
 * Webhook subscriptions, the outbox dispatcher and the delivery workers. Needs the global
 * `Database`, `BatonConfig` and `EventEmitterModule`; reads the log through `EventsModule`.
 * Features above this floor add body formats by registering a `DeliveryRenderer` with the
 * exported `WebhookRendererRegistry` (one instance: a module imported twice is one module).
 */
@Module({
  imports: [EventsModule],
  controllers: [WebhooksController],
  providers: [
    SubscriptionRepository,
    DeliveryRepository,
    DestinationRepository,
    DispatchCursorRepository,
    WebhookSubscriptionService,
    WebhookDispatcherService,
    WebhookDeliveryWorkerService,
    WebhookRendererRegistry,
  ],
  exports: [WebhookSubscriptionService, WebhookDispatcherService, WebhookRendererRegistry],
})
export class WebhooksModule {}
