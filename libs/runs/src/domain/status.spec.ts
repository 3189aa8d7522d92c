import { canTransitionRun, isTerminalRun, runStatusesAllowing, RUN_MOVES, RUN_STATUSES } from './run-status.js';
import { canTransitionStep, isTerminalStep, satisfiesDependents } from './step-status.js';

describe('run state machine', () => {
  it('treats completed, failed and cancelled as terminal', () => {
    expect(RUN_STATUSES.filter(isTerminalRun)).toEqual(['completed', 'failed', 'cancelled']);
  });

  it('never leaves completed or cancelled', () => {
    for (const to of RUN_STATUSES) {
      expect(canTransitionRun('completed', to)).toBe(false);
      expect(canTransitionRun('cancelled', to)).toBe(false);
    }
  });

  it('re-opens a failed run only to running (an operator retry) or compensating (a rollback by hand)', () => {
    expect(RUN_STATUSES.filter((to) => canTransitionRun('failed', to))).toEqual(['running', 'compensating']);
  });

  it('ends a rollback only as failed or cancelled, and lets neither a late failure nor a cancel cut it short', () => {
    expect(RUN_STATUSES.filter((to) => canTransitionRun('compensating', to))).toEqual(['failed', 'cancelled']);
    expect(RUN_MOVES.fail.from).not.toContain('compensating');
    expect(RUN_MOVES.cancel.from).not.toContain('compensating');
    expect(RUN_MOVES.endCompensationFailed.from).toEqual(['compensating']);
    expect(RUN_MOVES.compensate.from).toEqual(['pending', 'running', 'waiting', 'paused']);
  });

  it('builds the SQL guard for a transition from the table', () => {
    expect(runStatusesAllowing('paused')).toEqual(['pending', 'running', 'waiting']);
    expect(runStatusesAllowing('cancelled')).toEqual(['pending', 'running', 'waiting', 'paused', 'compensating']);
    expect(runStatusesAllowing('running')).toEqual(['pending', 'waiting', 'paused', 'failed']);
  });
});

describe('step state machine', () => {
  it('lets only completed and skipped steps release their dependents', () => {
    expect(satisfiesDependents('completed')).toBe(true);
    expect(satisfiesDependents('skipped')).toBe(true);
    expect(satisfiesDependents('failed')).toBe(false);
    expect(satisfiesDependents('cancelled')).toBe(false);
  });

  it('goes back to the queue from running (retry, lost lease) but never from completed', () => {
    expect(canTransitionStep('running', 'queued')).toBe(true);
    expect(canTransitionStep('completed', 'queued')).toBe(false);
    expect(canTransitionStep('skipped', 'queued')).toBe(false);
  });

  it('parks in waiting from running (child run, person) or queued (open breakers), and leaves it by being woken or finished', () => {
    expect(canTransitionStep('running', 'waiting')).toBe(true);
    expect(canTransitionStep('queued', 'waiting')).toBe(true);
    expect(canTransitionStep('pending', 'waiting')).toBe(false);
    expect(canTransitionStep('waiting', 'queued')).toBe(true);
    expect(canTransitionStep('waiting', 'running')).toBe(false);
  });

  it('treats completed, failed, skipped and cancelled as terminal', () => {
    expect(['pending', 'queued', 'running', 'waiting'].some((s) => isTerminalStep(s as never))).toBe(false);
    expect(['completed', 'failed', 'skipped', 'cancelled'].every((s) => isTerminalStep(s as never))).toBe(true);
  });
});
