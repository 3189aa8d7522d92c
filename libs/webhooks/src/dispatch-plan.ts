import type { RunEvent } from '@baton/events';
import type { NewDelivery } from './delivery.repository.js';
import { matchesEventType } from './event-patterns.js';
import type { WebhookEventPayload, WebhookSubscription } from './webhook.types.js';

/** The event as a delivery body carries it. */
export function toEventPayload(event: RunEvent): WebhookEventPayload {
  return {
    type: event.type,
    runId: event.runId,
    seq: event.seq,
    stepKey: event.stepKey,
    data: event.data,
    createdAt: new Date(event.createdAt).toISOString(),
  };
}

/**
 * One delivery per (event, matching subscription), in event order. A subscription gets the
 * events that happened after it was created (an event's time is its transaction's start),
 * so one created today does not receive last month's history on its first dispatch.
 *
 * A run-scoped subscription (`runId`) gets only that run's events (not its child runs':
 * those are runs of their own), and every one not yet dispatched when it was created: the
 * run is known to be recent, and an A2A push config registered right after its task
 * started must not lose the events of a transaction that began a moment before it.
 *
 * An owned subscription (tenancy) gets only the events of its owner's runs: `owners` maps
 * the events' run ids to their owners (a run missing from it matches no owner).
 */
export function planDeliveries(
  events: readonly RunEvent[],
  subscriptions: readonly WebhookSubscription[],
  owners: ReadonlyMap<string, string> = new Map(),
): NewDelivery[] {
  const result: NewDelivery[] = [];
  for (const event of events) {
    const at = new Date(event.createdAt).getTime();
    for (const subscription of subscriptions) {
      if (!subscription.active) continue;
      if (subscription.owner !== null && owners.get(event.runId) !== subscription.owner) continue;
      if (subscription.runId ? subscription.runId !== event.runId : at < subscription.createdAt.getTime()) continue;
      if (!matchesEventType(subscription.events, event.type)) continue;
      result.push({
        subscriptionId: subscription.id,
        eventId: event.id,
        eventType: event.type,
        runId: event.runId,
        eventSeq: event.seq,
        event: toEventPayload(event),
      });
    }
  }
  return result;
}

/**
 * The deliveries of the longest prefix of `events` that stays within `maxDeliveries` (at
 * least the first event, whatever it needs), and how many events that prefix holds. One
 * dispatch round writes no more than that, so a burst of events times many subscriptions
 * becomes several short statements rather than one that holds the database for seconds.
 */
export function planBoundedRound(
  events: readonly RunEvent[],
  subscriptions: readonly WebhookSubscription[],
  maxDeliveries: number,
  owners: ReadonlyMap<string, string> = new Map(),
): { deliveries: NewDelivery[]; events: number } {
  const deliveries: NewDelivery[] = [];
  let taken = 0;
  for (const event of events) {
    const planned = planDeliveries([event], subscriptions, owners);
    if (taken > 0 && deliveries.length + planned.length > maxDeliveries) break;
    deliveries.push(...planned);
    taken++;
  }
  return { deliveries, events: taken };
}
