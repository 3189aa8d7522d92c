import { RUN_MACHINE, RUN_MOVES, RUN_STATUSES } from './run-status.js';
import { STEP_MACHINE, STEP_MOVES, STEP_STATUSES, finishGuard } from './step-status.js';

describe('run moves', () => {
  it.each(Object.entries(RUN_MOVES))('%s only leaves statuses the table allows it from', (_name, move) => {
    expect(move.from.length).toBeGreaterThan(0);
    for (const from of move.from) expect(RUN_MACHINE.can(from, move.to)).toBe(true);
  });

  it('never parks a pending run as waiting (the table has no pending → waiting)', () => {
    expect(RUN_MOVES.wait.from).toEqual(['running']);
  });

  it('derives the end-of-run guards from the table, so a failed run cannot be cancelled', () => {
    expect(RUN_MOVES.cancel.from).toEqual(['pending', 'running', 'waiting', 'paused']);
    expect(RUN_MOVES.complete.from).toEqual(RUN_STATUSES.filter((s) => RUN_MACHINE.can(s, 'completed')));
  });
});

describe('step moves', () => {
  it.each(Object.entries(STEP_MOVES))('%s only leaves statuses the table allows for each of its targets', (_name, move) => {
    expect(move.from.length).toBeGreaterThan(0);
    for (const from of move.from) for (const to of move.to) expect(STEP_MACHINE.can(from, to)).toBe(true);
  });

  it('skips only a running step: a waiting step cannot be skipped', () => {
    expect(finishGuard('skipped')).toEqual(['running']);
    expect(finishGuard('completed')).toEqual(['running', 'waiting']);
  });

  it('cancels exactly the open statuses', () => {
    expect(STEP_MOVES.cancel.from).toEqual(STEP_STATUSES.filter((s) => STEP_MACHINE.can(s, 'cancelled')));
    expect(STEP_MOVES.cancel.from).toEqual(['pending', 'queued', 'running', 'waiting']);
  });

  it('drops from a guard any status the table forbids, instead of letting it through', () => {
    expect(STEP_MACHINE.guard('skipped', ['running', 'waiting'])).toEqual(['running']);
    expect(STEP_MACHINE.guard('running', ['completed'])).toEqual([]);
  });
});
