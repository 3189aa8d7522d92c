import type { RunEvent } from '@baton/events';
import { planDeliveries } from './dispatch-plan.js';
import type { WebhookSubscription } from './webhook.types.js';

const at = (s: string) => new Date(`2026-11-21T10:00:${s}Z`);

function event(id: number, runId: string, time: string): RunEvent {
  return { id, position: `9.${id}`, runId, seq: id, type: 'run.started', stepKey: null, data: {}, createdAt: at(time) };
}

function scoped(id: string, runId: string | null, created: string, owner: string | null = null): WebhookSubscription {
  return {
    id, url: 'http://x', events: ['*'], secret: 's', description: null, active: true, builtinKey: null,
    runId, owner, format: 'a2a-v1.0', formatOptions: {}, createdAt: at(created), updatedAt: at(created),
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

describe('planning deliveries for owned subscriptions (tenancy)', () => {
  const events = [event(1, 'acme-run', '05'), event(2, 'globex-run', '05'), event(3, 'unknown-run', '05'), event(4, 'shared-run', '05')];
  const owners = new Map([['acme-run', 'acme'], ['globex-run', 'globex'], ['shared-run', '']]);

  it('sends an owned subscription only its owner\'s runs\' events', () => {
    expect(planDeliveries(events, [scoped('acme', null, '00', 'acme')], owners).map((d) => d.eventId)).toEqual([1]);
  });

  it('sends a hub-wide subscription every owner\'s events', () => {
    expect(planDeliveries(events, [scoped('hub', null, '00')], owners).map((d) => d.eventId)).toEqual([1, 2, 3, 4]);
  });

  it('sends an owned subscription nothing when the run\'s owner is not known', () => {
    expect(planDeliveries(events, [scoped('acme', null, '00', 'acme')]).map((d) => d.eventId)).toEqual([]);
  });
});
