import { FIRE_MACHINE, FIRE_MOVES, UNSTARTED_FIRE_STATUSES } from './fire-status.js';

describe('schedule fire state machine', () => {
  it.each(Object.entries(FIRE_MOVES))('%s leaves only statuses the table allows', (_name, move) => {
    expect(move.from.length).toBeGreaterThan(0);
    for (const from of move.from) expect(FIRE_MACHINE.can(from, move.to)).toBe(true);
  });

  it('starts only a pending fire, promotes only a buffered one, and supersedes both', () => {
    expect(FIRE_MOVES.start.from).toEqual(['pending']);
    expect(FIRE_MOVES.promote.from).toEqual(['buffered']);
    expect(UNSTARTED_FIRE_STATUSES).toEqual(['pending', 'buffered']);
  });
});
