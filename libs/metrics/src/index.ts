export { MetricsModule } from './metrics.module.js';
export { OrchestrationMetricsService, type MetricsExposition } from './metrics.service.js';
export {
  WEBHOOK_DELIVERY_EVENT,
  WEBHOOK_OUTCOMES,
  type WebhookDeliveryEvent,
  type WebhookOutcome,
} from './metric-events.js';
