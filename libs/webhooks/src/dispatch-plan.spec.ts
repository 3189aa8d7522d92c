import type { RunEvent } from '@baton/events';
import { planBoundedRound, planDeliveries } from './dispatch-plan.js';
import type { WebhookSubscription } from './webhook.types.js';

const at = (iso: string) => new Date(`2026-11-21T10:00:${iso}Z`);

function event(id: number, type: RunEvent['type'], time: string): RunEvent {
  return { id, position: `9.${id}`, runId: 'r1', seq: id, type, stepKey: null, data: {}, createdAt: at(time) };
}

function subscription(id: string, events: string[], created: string, active = true, runId: string | null = null): WebhookSubscription {
  return {
    id, url: 'http://x', events, secret: 's', description: null, active, builtinKey: null,
    runId, owner: null, format: 'baton', formatOptions: {}, createdAt: at(created), updatedAt: at(created),
  };
}

describe('planning deliveries', () => {
  it('writes one delivery per matching, active subscription, in event order', () => {
    const events = [event(1, 'run.started', '01'), event(2, 'step.failed', '02'), event(3, 'run.completed', '03')];
    const subs = [subscription('all', ['*'], '00'), subscription('steps', ['step.*'], '00'), subscription('off', ['*'], '00', false)];
    expect(planDeliveries(events, subs).map((d) => `${d.subscriptionId}:${d.eventId}`)).toEqual([
      'all:1', 'all:2', 'steps:2', 'all:3',
    ]);
  });

  it('skips events that happened before the subscription existed', () => {
    const events = [event(1, 'run.started', '01'), event(2, 'run.completed', '05')];
    expect(planDeliveries(events, [subscription('late', ['*'], '03')]).map((d) => d.eventId)).toEqual([2]);
  });

  it('copies the event as the body carries it', () => {
    const [delivery] = planDeliveries([event(1, 'run.started', '01')], [subscription('all', ['*'], '00')]);
    expect(delivery!.event).toEqual({ type: 'run.started', runId: 'r1', seq: 1, stepKey: null, data: {}, createdAt: '2026-11-21T10:00:01.000Z' });
  });

  it('cuts a round at an event boundary so it writes at most the bound, but always one event', () => {
    const events = [event(1, 'run.started', '01'), event(2, 'step.failed', '02'), event(3, 'run.completed', '03')];
    const subs = [subscription('a', ['*'], '00'), subscription('b', ['*'], '00'), subscription('c', ['*'], '00')];
    const cut = planBoundedRound(events, subs, 7);
    expect(cut.events).toBe(2);
    expect(cut.deliveries.map((d) => `${d.subscriptionId}:${d.eventId}`)).toEqual(['a:1', 'b:1', 'c:1', 'a:2', 'b:2', 'c:2']);
    expect(planBoundedRound(events, subs, 1)).toMatchObject({ events: 1, deliveries: [{ eventId: 1 }, { eventId: 1 }, { eventId: 1 }] });
    expect(planBoundedRound(events, subs, 100).events).toBe(3);
  });
});
