import type { WebhookDelivery, WebhookSubscription } from '../webhook.types.js';

export interface WebhookResponse {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
  /** True for the subscription configured by ORCHESTRATION_PROGRESS_WEBHOOK_URL. */
  builtin: boolean;
  /** Only events of this run; null for all runs. */
  runId: string | null;
  /** Tenancy: only events of this owner's runs; null: hub-wide (every owner). */
  owner: string | null;
  /** The body format: `baton`, or e.g. `a2a-v1.0` for an A2A push config. */
  format: string;
  createdAt: string;
  updatedAt: string;
  /** Only in the 201 of `POST /api/v1/webhooks`. */
  secret?: string;
}

export interface DeliveryResponse {
  id: string;
  webhookId: string;
  eventId: number;
  eventType: string;
  runId: string;
  seq: number;
  status: WebhookDelivery['status'];
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  /** When the next attempt is due; null once delivered or dead. */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  deadAt: string | null;
}

/** The API's view of a subscription: the secret only when `withSecret` (the create response). */
export function toWebhookResponse(subscription: WebhookSubscription, withSecret = false): WebhookResponse {
  const response: WebhookResponse = {
    id: subscription.id,
    url: subscription.url,
    events: subscription.events,
    description: subscription.description,
    active: subscription.active,
    builtin: subscription.builtinKey !== null,
    runId: subscription.runId,
    owner: subscription.owner,
    format: subscription.format,
    createdAt: subscription.createdAt.toISOString(),
    updatedAt: subscription.updatedAt.toISOString(),
  };
  if (withSecret) response.secret = subscription.secret;
  return response;
}

export function toDeliveryResponse(delivery: WebhookDelivery): DeliveryResponse {
  return {
    id: delivery.id,
    webhookId: delivery.subscriptionId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    runId: delivery.runId,
    seq: delivery.eventSeq,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    lastAttemptAt: delivery.lastAttemptAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    deadAt: delivery.deadAt?.toISOString() ?? null,
  };
}
