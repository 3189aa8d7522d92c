import type { RunEvent } from '@baton/events';
import { socketMessageOf } from './socket-messages.js';

const at = new Date('2026-12-03T10:00:00.000Z');
const event = (type: string, data: Record<string, unknown>, stepKey: string | null = null): RunEvent =>
  ({ id: 1, position: '10.1', runId: 'run-1', seq: 4, type, stepKey, data, createdAt: at }) as RunEvent;

describe('socketMessageOf', () => {
  it('wraps each mapped event in the seed envelope with its cursor', () => {
    expect(socketMessageOf('wf-1', event('step.started', { agent: 'a', servedBy: 'a', attempt: 1, from: 'queued', to: 'running' }, 's1'), '10.1')).toEqual({
      type: 'task.started',
      workflow_id: 'wf-1',
      execution_id: 'run-1',
      timestamp: '2026-12-03T10:00:00.000Z',
      data: { task_id: 's1', agent: 'a', served_by: 'a', attempt: 1, event: 'step.started', seq: 4 },
      cursor: '10.1',
    });
  });

  it('maps run transitions to phases, failures to errors and the workflow events to theirs', () => {
    const type = (e: RunEvent) => socketMessageOf('wf', e, '1.1')?.type;
    expect(socketMessageOf('wf', event('run.completed', { from: 'running', to: 'completed' }), '1.1')!.data).toMatchObject({ phase: 'completed', previous_phase: 'executing' });
    expect(type(event('workflow.execution_started', { workflowId: 'wf' }))).toBe('workflow.status_changed');
    expect(type(event('agent.task_assigned', {}, 's'))).toBe('agent.assigned');
    expect(type(event('step.completed', { cacheHit: false }, 's'))).toBe('task.completed');
    expect(socketMessageOf('wf', event('step.retrying', { error: { message: 'x' }, delayMs: 5 }, 's'), '1.1')!.data).toMatchObject({ final: false, retry_in_ms: 5 });
    expect(type(event('step.failed', { error: { message: 'x' } }, 's'))).toBe('error.occurred');
    expect(type(event('workflow.checkpoint_created', { checkpointId: 'c' }))).toBe('checkpoint.created');
    expect(type(event('run.created', {}))).toBeUndefined();
    expect(type(event('step.turn_started', {}))).toBeUndefined();
  });
});
