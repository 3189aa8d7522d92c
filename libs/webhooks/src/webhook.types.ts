import type { RunTraceContext } from '@baton/telemetry';
/** A delivery's life: `pending` until a 2xx (`delivered`) or until attempts run out (`dead`). */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A webhook subscription. `secret` never leaves the server after the create response. */
export interface WebhookSubscription {
  id: string;
  url: string;
  /** Event type patterns: `*`, an exact type (`run.completed`) or a prefix (`step.*`). */
  events: string[];
  secret: string;
  description: string | null;
  active: boolean;
  /** `progress` for the subscription seeded from ORCHESTRATION_PROGRESS_WEBHOOK_URL. */
  builtinKey: string | null;
  /** Only events of this run (not of its child runs); null for every run. */
  runId: string | null;
  /** Tenancy: only events of this owner's runs, and only its tokens see it; null: hub-wide. */
  owner: string | null;
  /** Who writes the body: `baton` (the event envelope) or a registered {@link DeliveryRenderer}. */
  format: string;
  /** The renderer's data (an A2A push config's token and authentication); `{}` for `baton`. */
  formatOptions: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** The body format of every subscription created without one: the event envelope of the README. */
export const BATON_FORMAT = 'baton';

/** The event as sent in a delivery body (`event`). */
export interface WebhookEventPayload {
  type: string;
  runId: string;
  seq: number;
  stepKey: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

/** One event for one subscription: a row in the outbox. */
export interface WebhookDelivery {
  id: string;
  /** Insertion order; the listing cursor. */
  position: number;
  subscriptionId: string;
  eventId: number;
  eventType: string;
  runId: string;
  eventSeq: number;
  event: WebhookEventPayload;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  deadAt: Date | null;
}

/** A delivery this instance holds the lease on; `attempts` (after the claim) is the fencing token. */
export interface ClaimedDelivery {
  id: string;
  subscriptionId: string;
  url: string;
  secret: string;
  eventType: string;
  event: WebhookEventPayload;
  attempts: number;
  /** The subscription's body format and its renderer's data. */
  format: string;
  formatOptions: Record<string, unknown>;
  /** Where it goes (`scheme://host:port`): failures block the destination, not only this row. */
  destination: string;
  /** Claimed while its destination was failing: its outcome opens or re-blocks the destination. */
  probe: boolean;
  /** The event's run's place in a trace (sent as `traceparent`), null when tracing was off. */
  traceContext: RunTraceContext | null;
}

/** What one attempt came to. */
export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  /** False when no request left this process (no renderer, the renderer failed). */
  sent?: boolean;
}

/**
 * Emitted in-process (EventEmitter2) after each recorded attempt; `@baton/metrics` counts it
 * as `orchestration_webhook_deliveries_total{outcome}` (the name is agreed with it, not
 * imported). Outside the `orchestration.*` namespace on purpose: listeners there expect
 * events of the run log.
 */
export const WEBHOOK_ATTEMPTED_EVENT = 'baton.webhook.delivery';

export interface WebhookAttemptedEvent {
  deliveryId: string;
  webhookId: string;
  eventType: string;
  attempt: number;
  /** `delivered` (2xx), `failed` (will be tried again) or `dead` (given up). */
  outcome: 'delivered' | 'failed' | 'dead';
  statusCode: number | null;
  at: Date;
}
