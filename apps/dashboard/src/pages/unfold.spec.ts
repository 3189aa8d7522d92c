import { describe, expect, it } from '@jest/globals';
import type { BatonEvent, Step } from '../api';
import { itemProgress, unfoldSteps } from './unfold';

/**
 * The run graph's unfolding, from run answers shaped as docs/api.md and CONTRACTS.md say
 * (apps/api/test/dashboard-patterns.int-spec.ts checks the same against a real server).
 */
function step(id: string, fields: Partial<Step> = {}): Step {
  return {
    id, stepId: `uuid-${id}`, type: 'agent', agent: 'builtin:echo', status: 'pending', dependsOn: [], attempt: 0, maxAttempts: 1,
    input: null, output: null, error: null, cache: null, childRunId: null, lease: null, queuedAt: null, startedAt: null, finishedAt: null,
    ...fields,
  };
}
const none = { forEach: new Set<string>(), expanded: new Set<string>(), childRuns: new Map() };
const event = (seq: number, data: Record<string, unknown>): BatonEvent => ({ runId: 'r', seq, type: 'step.items_progressed', stepKey: 'fan', data, createdAt: '' });

describe('unfoldSteps', () => {
  it('says which event a wait step waits for, when the definition names it', () => {
    const paid = step('paid', { type: 'wait', agent: null, status: 'waiting' });
    expect(unfoldSteps([paid], { ...none, waits: new Map([['paid', 'order.paid']]) }).steps[0]!.detail).toBe('wait · order.paid');
    expect(unfoldSteps([paid], none).steps[0]!.detail).toBe('wait');
  });

  it('lists a pattern step’s turns in order, each with its agent and status', () => {
    const turn = (n: number, agent: string, status: string) => ({ turn: n, agent, status, attempt: 1, cache_hit: false, input: null, output: null, error: null, started_at: null, finished_at: null });
    const debate = step('debate', { type: 'pattern', status: 'running', pattern: 'debate', turns: [turn(1, 'pro', 'completed'), turn(2, 'con', 'running')] });
    const folded = unfoldSteps([debate], none);
    expect(folded.steps).toEqual([expect.objectContaining({ id: 'debate', expandable: 'turns', expanded: false, detail: 'debate · 2 turns' })]);
    const { steps, targets } = unfoldSteps([debate], { ...none, expanded: new Set(['debate']) });
    expect(steps.map((s) => [s.id, s.status, s.detail, s.dependsOn])).toEqual([
      ['debate', 'running', 'debate · 2 turns', []],
      ['debate#1', 'completed', 'pro', ['debate']],
      ['debate#2', 'running', 'con', ['debate#1']],
    ]);
    expect(targets.get('debate#2')).toEqual({ kind: 'item', parent: 'debate' });
  });

  it('lists a looping step’s iterations and says which one is current', () => {
    const it_ = (n: number, status: string) => ({ iteration: n, status, input: null, output: null, error: null, started_at: null, finished_at: null });
    const loop = step('refine', { status: 'running', iteration: 2, iterations: [it_(1, 'completed'), it_(2, 'running')] });
    const { steps } = unfoldSteps([loop], { ...none, expanded: new Set(['refine']) });
    expect(steps.map((s) => [s.id, s.status, s.detail])).toEqual([
      ['refine', 'running', 'loop · iteration 2'],
      ['refine@1', 'completed', 'iteration 1'],
      ['refine@2', 'running', 'iteration 2'],
    ]);
  });

  it('says why a step was skipped by its condition', () => {
    const { steps } = unfoldSteps([step('maybe', { status: 'skipped', skip_reason: 'condition' })], none);
    expect(steps[0]).toMatchObject({ status: 'skipped', detail: 'skipped: condition' });
  });

  it('shows a running for_each step’s items from its progress events, latest attempt only', () => {
    const events = [
      event(1, { attempt: 1, total: 3, running: [0, 1], completed: [], failed: [] }),
      event(2, { attempt: 2, total: 3, running: [1, 2], completed: [0], failed: [] }),
      event(3, { attempt: 2, total: 3, running: [2], completed: [], failed: [{ index: 1, message: 'broke' }] }),
      event(4, { attempt: 1, total: 3, running: [], completed: [0, 1, 2], failed: [] }),
    ];
    const progress = itemProgress(events);
    expect(progress.get('fan')).toMatchObject({ attempt: 2, total: 3 });
    const fan = step('fan', { status: 'running' });
    const { steps } = unfoldSteps([fan], { ...none, forEach: new Set(['fan']), expanded: new Set(['fan']), items: progress });
    expect(steps.map((s) => [s.id, s.status, s.detail])).toEqual([
      ['fan', 'running', 'for_each · builtin:echo'],
      ['fan[0]', 'completed', 'completed'],
      ['fan[1]', 'failed', 'broke'],
      ['fan[2]', 'running', 'running'],
    ]);
    // Once the step ends, its output decides.
    const done = unfoldSteps([{ ...fan, status: 'completed', output: ['a', 'b', 'c'] }], { ...none, forEach: new Set(['fan']), expanded: new Set(['fan']), items: progress });
    expect(done.steps.slice(1).map((s) => [s.status, s.detail])).toEqual([['completed', 'a'], ['completed', 'b'], ['completed', 'c']]);
  });
});
