import { viewAtEvent } from './a2a-push-renderer.js';
import { pushHeaders, subscriptionIdOf } from './push-subscription.js';
import type { TaskView } from '../tasks/task-view.js';

const TASK = '6f0c1e2a-1b2c-4d5e-8f90-123456789abc';

function view(state: TaskView['state'], extra: Partial<TaskView> = {}): TaskView {
  return { id: TASK, contextId: 'c', state, timestamp: '2026-11-21T10:00:09.000Z', artifacts: [], metadata: {}, ...extra };
}

const event = (type: string, data: Record<string, unknown> = {}) => ({ type, runId: TASK, seq: 1, stepKey: 'review', data, createdAt: '2026-11-21T10:00:01.000Z' });

describe('push configs as webhook subscriptions', () => {
  it('keeps a UUID config id and derives a stable UUID from any other', () => {
    const uuid = '0b5e7c1a-9a8b-4c3d-9e2f-abcdefabcdef';
    expect(subscriptionIdOf(TASK, uuid)).toBe(uuid);
    const derived = subscriptionIdOf(TASK, 'primary');
    expect(derived).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(subscriptionIdOf(TASK, 'primary')).toBe(derived);
    expect(subscriptionIdOf('00000000-0000-4000-8000-000000000000', 'primary')).not.toBe(derived);
  });

  it('sends the token header, and Authorization when the config has credentials', () => {
    expect(pushHeaders({ token: 't' }, 'application/json')).toEqual({ 'content-type': 'application/json', 'x-a2a-notification-token': 't' });
    expect(pushHeaders({ authentication: { schemes: ['Bearer'], credentials: 'c' } }, 'application/a2a+json')).toEqual({
      'content-type': 'application/a2a+json',
      authorization: 'Bearer c',
    });
  });
});

describe('the task as an event left it', () => {
  it('is the current task when it is still in the state the event led to', () => {
    const current = view('completed', { artifacts: [{ artifactId: 'a', name: 'a', parts: [] }] });
    expect(viewAtEvent(current, event('run.completed'))).toBe(current);
  });

  it('is the state alone, at the event time, when the task has moved on', () => {
    const current = view('completed', { artifacts: [{ artifactId: 'a', name: 'a', parts: [] }] });
    expect(viewAtEvent(current, event('run.started'))).toEqual(view('working', { timestamp: '2026-11-21T10:00:01.000Z' }));
  });

  it('asks the checkpoint question from the event once it has been decided', () => {
    const pushed = viewAtEvent(view('completed'), event('approval.requested', { approvalId: 'ap1', kind: 'checkpoint', prompt: 'Publish?' }));
    expect(pushed.state).toBe('input-required');
    expect(pushed.message).toEqual([
      { kind: 'text', text: 'Publish?' },
      { kind: 'data', data: { approvalId: 'ap1', kind: 'checkpoint', stepId: 'review' } },
    ]);
  });
});
