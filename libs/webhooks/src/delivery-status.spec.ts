import { DELIVERY_MACHINE, DELIVERY_MOVES } from './delivery-status.js';

describe('delivery state machine', () => {
  it.each(Object.entries(DELIVERY_MOVES))('%s leaves only statuses the table allows', (_name, move) => {
    expect(move.from.length).toBeGreaterThan(0);
    for (const from of move.from) expect(DELIVERY_MACHINE.can(from, move.to)).toBe(true);
  });

  it('redelivers only a dead delivery and never touches a delivered one', () => {
    expect(DELIVERY_MOVES.redeliver.from).toEqual(['dead']);
    expect(DELIVERY_MOVES.deliver.from).toEqual(['pending']);
    expect(DELIVERY_MACHINE.states.some((to) => DELIVERY_MACHINE.can('delivered', to))).toBe(false);
  });
});
