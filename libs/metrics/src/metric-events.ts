/**
 * In-process events metrics listens to besides the `orchestration.*` run and step events.
 *
 * The webhook dispatcher emits `baton.webhook.delivery` after each delivery attempt is
 * recorded: `{ outcome: 'delivered' }` on a 2xx, `'failed'` when it will be retried,
 * `'dead'` when it was given up. Emitting is enough; nothing needs importing this library.
 */
export const WEBHOOK_DELIVERY_EVENT = 'baton.webhook.delivery';

export const WEBHOOK_OUTCOMES = ['delivered', 'failed', 'dead'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

export interface WebhookDeliveryEvent {
  outcome: WebhookOutcome;
}
