import type { RunEvent } from '@baton/events';
import { planDeliveries } from './dispatch-plan.js';
import type { WebhookSubscription } from './webhook.types.js';

const at = (s: string) => new Date(`2026-11-21T10:00:${s}Z`);

function event(id: number, runId: string, time: string): RunEvent {
  return { id, position: `9.${id}`, runId, seq: id, type: 'run.started', stepKey: null, data: {}, createdAt: at(time) };
}

function scoped(id: string, runId: string | null, created: string): WebhookSubscription {
  return {
    id, url: 'http://x', events: ['*'], secret: 's', description: null, active: true, builtinKey: null,
    runId, format: 'a2a-v1.0', formatOptions: {}, createdAt: at(created), updatedAt: at(created),
  };
}

describe('planning deliveries for run-scoped subscriptions', () => {
  it('sends only the events of that run', () => {
    const events = [event(1, 'r1', '05'), event(2, 'r2', '05'), event(3, 'r1', '06')];
    expect(planDeliveries(events, [scoped('s', 'r1', '00')]).map((d) => d.eventId)).toEqual([1, 3]);
  });

  it('sends events of its run not yet dispatched even if they began before it was created', () => {
    const events = [event(1, 'r1', '01'), event(2, 'r1', '09')];
    expect(planDeliveries(events, [scoped('s', 'r1', '05')]).map((d) => d.eventId)).toEqual([1, 2]);
    expect(planDeliveries(events, [scoped('all', null, '05')]).map((d) => d.eventId)).toEqual([2]);
  });
});
