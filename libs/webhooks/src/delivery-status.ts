import { stateMachine } from '@baton/common';
import type { DeliveryStatus } from './webhook.types.js';

/**
 * The delivery state machine. A failed attempt that will be retried stays `pending` (only
 * its lease and due time change); every UPDATE of `webhook_deliveries.status` is guarded by
 * one of `DELIVERY_MOVES`, derived from this table (see `status-guards.spec.ts` in libs/runs).
 *
 *   pending → delivered | dead;  dead → pending (an operator redelivers)
 */
export const DELIVERY_MACHINE = stateMachine<DeliveryStatus>({
  pending: ['delivered', 'dead'],
  delivered: [],
  dead: ['pending'],
});

export const DELIVERY_MOVES = {
  deliver: { from: DELIVERY_MACHINE.guard('delivered'), to: 'delivered' },
  /** The last attempt failed for good (a retryable failure stays pending under the same guard). */
  bury: { from: DELIVERY_MACHINE.guard('dead'), to: 'dead' },
  redeliver: { from: DELIVERY_MACHINE.guard('pending', ['dead']), to: 'pending' },
} as const;

/** Deliveries still to be made: a claim leases one (its status stays; only the lease changes). */
export const OPEN_DELIVERY_STATUSES: readonly DeliveryStatus[] = DELIVERY_MOVES.deliver.from;
