import { AgentCallError } from '@baton/agents';
import { afterFailure, closedBreaker, countsAgainstBreaker } from './breaker-state.js';

const settings = { failureThreshold: 3, resetSeconds: 30, halfOpenMaxCalls: 1 };
const now = new Date('2026-12-01T10:00:00Z');
const failure = { message: 'boom' };

describe('breaker state', () => {
  it('opens at the threshold of consecutive failures, with the half-open time reset_seconds later', () => {
    let record = closedBreaker('a');
    record = afterFailure(record, settings, failure, now);
    record = afterFailure(record, settings, failure, now);
    expect(record.state).toBe('closed');
    record = afterFailure(record, settings, failure, now);
    expect(record).toMatchObject({ state: 'open', consecutiveFailures: 3, halfOpenAt: new Date('2026-12-01T10:00:30Z') });
  });

  it('opens again when a half-open probe fails, and keeps the schedule for a late failure while open', () => {
    const open = afterFailure({ ...closedBreaker('a'), state: 'half_open', consecutiveFailures: 3 }, settings, failure, now);
    expect(open).toMatchObject({ state: 'open', openedAt: now });
    const late = afterFailure(open, settings, failure, new Date(now.getTime() + 5000));
    expect(late).toMatchObject({ state: 'open', openedAt: now, consecutiveFailures: 5 });
  });

  it('counts 5xx, timeouts and connection errors, not 4xx, 429 or a cancelled call', () => {
    expect(countsAgainstBreaker(new AgentCallError('x', true, 'agent_unavailable', 503))).toBe(true);
    expect(countsAgainstBreaker(new AgentCallError('x', true, 'timeout'))).toBe(true);
    expect(countsAgainstBreaker(new AgentCallError('x', true, 'connection_error'))).toBe(true);
    expect(countsAgainstBreaker(new AgentCallError('x', true, 'agent_unavailable', 429))).toBe(false);
    expect(countsAgainstBreaker(new AgentCallError('x', false, 'agent_rejected', 400))).toBe(false);
    expect(countsAgainstBreaker(new AgentCallError('x', false, 'cancelled'))).toBe(false);
    expect(countsAgainstBreaker(new Error('not an agent call'))).toBe(false);
  });
});
