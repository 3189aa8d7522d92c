import { AgentCallError, type BreakerSettings } from '@baton/agents';
import type { BreakerStateName } from '@baton/events';

/** An agent's breaker as stored in `agent_breakers`. */
export interface BreakerRecord {
  agent: string;
  state: BreakerStateName;
  consecutiveFailures: number;
  openedAt: Date | null;
  halfOpenAt: Date | null;
  lastFailure: { message: string; code?: string; status?: number } | null;
  lastFailureAt: Date | null;
}

/** Settings with every default applied. */
export interface ResolvedBreakerSettings {
  failureThreshold: number;
  resetSeconds: number;
  halfOpenMaxCalls: number;
}

export function resolveBreakerSettings(
  agent: BreakerSettings | undefined,
  defaults: { failureThreshold: number; resetSeconds: number },
): ResolvedBreakerSettings {
  return {
    failureThreshold: agent?.failureThreshold ?? defaults.failureThreshold,
    resetSeconds: agent?.resetSeconds ?? defaults.resetSeconds,
    halfOpenMaxCalls: agent?.halfOpenMaxCalls ?? 1,
  };
}

export function closedBreaker(agent: string): BreakerRecord {
  return { agent, state: 'closed', consecutiveFailures: 0, openedAt: null, halfOpenAt: null, lastFailure: null, lastFailureAt: null };
}

/**
 * Whether a failed call counts against the agent's breaker: the agent is unwell (5xx, a
 * timeout, a refused or reset connection). A 4xx (408 and 429 included) is an answer about
 * the request, and a cancelled call is the caller's doing: neither says the agent is down.
 */
export function countsAgainstBreaker(error: unknown): boolean {
  if (!(error instanceof AgentCallError)) return false;
  if (!error.retryable || error.code === 'cancelled' || error.code === 'input_required') return false;
  return error.status === undefined || error.status >= 500;
}

/**
 * One more counted failure. Closed: opens at the threshold. Half-open: the probe failed, so
 * it opens again for another `resetSeconds`. Open: a call that was already in flight; the
 * count goes up, the schedule stays.
 */
export function afterFailure(
  record: BreakerRecord,
  settings: ResolvedBreakerSettings,
  failure: BreakerRecord['lastFailure'],
  now: Date,
): BreakerRecord {
  const failures = record.consecutiveFailures + 1;
  const next: BreakerRecord = { ...record, consecutiveFailures: failures, lastFailure: failure, lastFailureAt: now };
  const opens = record.state === 'half_open' || (record.state === 'closed' && failures >= settings.failureThreshold);
  if (!opens) return next;
  return { ...next, state: 'open', openedAt: now, halfOpenAt: new Date(now.getTime() + settings.resetSeconds * 1000) };
}
