export { WebhooksModule } from './webhooks.module.js';
export {
  WebhookSubscriptionService,
  PROGRESS_WEBHOOK_KEY,
  type CreateWebhookInput,
  type ScopedWebhookInput,
} from './webhook-subscription.service.js';
export {
  DeliveryRenderer,
  WebhookRendererRegistry,
  WEBHOOK_RENDERERS,
  type RenderInput,
  type RenderedDelivery,
} from './delivery-renderer.js';
export { WebhookDispatcherService, type DispatchRound } from './webhook-dispatcher.service.js';
export { verifyWebhookSignature, signWebhook, generateWebhookSecret, WEBHOOK_HEADERS } from './signature.js';
export { matchesEventType, normaliseEventPatterns } from './event-patterns.js';
export { retryDelayMs, MAX_BACKOFF_MS, REQUEST_TIMEOUT_MS } from './delivery-policy.js';
export {
  BATON_FORMAT,
  DELIVERY_STATUSES,
  WEBHOOK_ATTEMPTED_EVENT,
  type DeliveryStatus,
  type WebhookAttemptedEvent,
  type WebhookDelivery,
  type WebhookEventPayload,
  type WebhookSubscription,
} from './webhook.types.js';
export { toWebhookResponse, toDeliveryResponse, type WebhookResponse, type DeliveryResponse } from './http/webhook.presenter.js';
