import { stateMachine } from '@baton/common';

export type MessageDeliveryStatus = 'pending' | 'leased' | 'acked' | 'expired' | 'dead';

/**
 * The inbox delivery state machine (`message_deliveries`, one row per message and recipient).
 * Every UPDATE of its status is guarded by one of `MESSAGE_DELIVERY_MOVES`, derived from this
 * table (`status = any($n::text[])`).
 *
 *   pending → leased (a pull or a push took it) → acked | dead (attempts spent)
 *   leased → leased (its lease ran out: taken again, at least once)
 *   pending | leased → expired (the message's TTL passed)
 */
export const MESSAGE_DELIVERY_MACHINE = stateMachine<MessageDeliveryStatus>({
  pending: ['leased', 'expired'],
  leased: ['leased', 'acked', 'expired', 'dead'],
  acked: [],
  expired: [],
  dead: [],
});

export const MESSAGE_DELIVERY_MOVES = {
  /** A pull or a push leases it; a leased one only once its lease ran out (`lease_expires_at`, null while pending). */
  lease: { from: MESSAGE_DELIVERY_MACHINE.guard('leased'), to: 'leased' },
  /** Its recipient acknowledged it. */
  ack: { from: MESSAGE_DELIVERY_MACHINE.guard('acked'), to: 'acked' },
  /** The message's TTL passed before an ack (a live lease is left to finish). */
  expire: { from: MESSAGE_DELIVERY_MACHINE.guard('expired'), to: 'expired' },
  /** Its last attempt's lease ran out unacknowledged. */
  bury: { from: MESSAGE_DELIVERY_MACHINE.guard('dead'), to: 'dead' },
} as const;

/** Deliveries holding a lease: the only ones whose lease may be shortened or extended (no status change). */
export const LEASED_DELIVERY_STATUSES: readonly MessageDeliveryStatus[] = MESSAGE_DELIVERY_MOVES.ack.from;
