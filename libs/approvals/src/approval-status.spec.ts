import { APPROVAL_MACHINE, APPROVAL_MOVES } from './approval-status.js';

describe('approval state machine', () => {
  it('decides or cancels only a pending approval', () => {
    expect(APPROVAL_MOVES.decide.from).toEqual(['pending']);
    expect(APPROVAL_MOVES.cancel.from).toEqual(['pending']);
  });

  it.each(Object.entries(APPROVAL_MOVES))('%s leaves only statuses the table allows', (_name, move) => {
    for (const from of move.from) for (const to of move.to) expect(APPROVAL_MACHINE.can(from, to)).toBe(true);
  });

  it('never changes a decided approval', () => {
    for (const from of ['approved', 'rejected', 'expired', 'cancelled'] as const) {
      expect(APPROVAL_MACHINE.states.some((to) => APPROVAL_MACHINE.can(from, to))).toBe(false);
    }
  });
});
