import { EVENT_WAIT_MACHINE, EVENT_WAIT_MOVES } from './event-wait-status.js';
import { MESSAGE_DELIVERY_MACHINE, MESSAGE_DELIVERY_MOVES } from './message-delivery-status.js';

describe('inbox delivery and event wait state machines', () => {
  it.each(Object.entries(MESSAGE_DELIVERY_MOVES))('delivery %s leaves only statuses the table allows', (_name, move) => {
    expect(move.from.length).toBeGreaterThan(0);
    for (const from of move.from) expect(MESSAGE_DELIVERY_MACHINE.can(from, move.to)).toBe(true);
  });

  it('acks only a leased delivery (message.delivered logs from: leased)', () => {
    expect(MESSAGE_DELIVERY_MOVES.ack.from).toEqual(['leased']);
    expect(MESSAGE_DELIVERY_MOVES.lease.from).toEqual(['pending', 'leased']);
  });

  it.each(Object.entries(EVENT_WAIT_MOVES))('wait %s leaves only statuses the table allows, for each of its targets', (_name, move) => {
    expect(move.from.length).toBeGreaterThan(0);
    for (const from of move.from) for (const to of move.to) expect(EVENT_WAIT_MACHINE.can(from, to)).toBe(true);
  });

  it('matches only an open wait, and reopens only a timed-out one', () => {
    expect(EVENT_WAIT_MOVES.match.from).toEqual(['waiting']);
    expect(EVENT_WAIT_MOVES.reopen.from).toEqual(['timed_out']);
  });
});
