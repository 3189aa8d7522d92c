import { JOB_MACHINE, JOB_MOVES } from './job-status.js';
import { NODE_MACHINE, NODE_MOVES } from './node-status.js';

describe('worker job and node state machines', () => {
  it.each(Object.entries(JOB_MOVES))('job %s leaves only statuses the table allows, for each of its targets', (_name, move) => {
    expect(move.from.length).toBeGreaterThan(0);
    for (const from of move.from) for (const to of move.to) expect(JOB_MACHINE.can(from, to)).toBe(true);
  });

  it('finishes only a leased job, and cancels or expires any open one', () => {
    expect(JOB_MOVES.finish.from).toEqual(['leased']);
    expect(JOB_MOVES.cancel.from).toEqual(['queued', 'leased']);
    expect(JOB_MOVES.expire.from).toEqual(['queued', 'leased']);
  });

  it.each(Object.entries(NODE_MOVES))('node %s leaves only statuses the table allows', (_name, move) => {
    for (const from of move.from) expect(NODE_MACHINE.can(from, move.to)).toBe(true);
    expect(move.from).not.toContain('removed');
  });
});
