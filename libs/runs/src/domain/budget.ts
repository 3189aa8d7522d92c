import type { BudgetLimit, BudgetOnExceed } from '@baton/definitions';

/**
 * Budget arithmetic, without I/O. The repository's guarded UPDATEs are the authority (they
 * are what concurrent steps race on); these functions decide what a refused UPDATE meant,
 * which warnings are due, and what the API shows. Kept in one place so the rules read once.
 */

/** Share of a limit at which `run.budget_warning` is sent (once per limit). */
export const WARNING_RATIO = 0.8;

export interface BudgetSpent {
  steps: number;
  turns: number;
  tokens: number;
  cost: number;
  wallSeconds: number;
}

/** One run tree's budget as stored (row of `run_budgets`), in domain terms. */
export interface BudgetState {
  rootRunId: string;
  limits: Partial<Record<BudgetLimit, number>>;
  onExceed: BudgetOnExceed;
  spent: BudgetSpent;
  /** Held by agent calls in flight (tokens, cost, calls) and by child runs not finished (steps). */
  reserved: { tokens: number; cost: number; calls: number; steps: number };
  /** Calls settled so far and the largest single call: the estimate a new call reserves. */
  settledCalls: number;
  largestCall: { tokens: number; cost: number };
  warned: BudgetLimit[];
  exceeded: BudgetLimit | null;
}

/** What each limit measures in `spent`. */
const MEASURE: Record<BudgetLimit, keyof BudgetSpent> = {
  max_steps: 'steps',
  max_turns: 'turns',
  max_tokens: 'tokens',
  max_cost: 'cost',
  max_wall_seconds: 'wallSeconds',
};

export function spentOn(state: BudgetState, limit: BudgetLimit): number {
  return state.spent[MEASURE[limit]];
}

/** The tokens and cost a new agent call reserves: the largest call so far (0 before any). */
export function callEstimate(state: BudgetState): { tokens: number; cost: number } {
  return state.settledCalls > 0 ? state.largestCall : { tokens: 0, cost: 0 };
}

/** The limits at or past 80 % that have not been warned about yet. */
export function warningsDue(state: BudgetState): BudgetLimit[] {
  const due: BudgetLimit[] = [];
  for (const [limit, max] of limitEntries(state)) {
    if (!state.warned.includes(limit) && spentOn(state, limit) >= WARNING_RATIO * max) due.push(limit);
  }
  return due;
}

/**
 * The first limit that is used up: nothing more may start. Steps and turns count what was
 * started, so reaching the limit is fine and only going past it is not; tokens, cost and
 * time are exhausted once they reach it.
 */
export function exhaustedLimit(state: BudgetState): BudgetLimit | null {
  for (const [limit, max] of limitEntries(state)) {
    const spent = spentOn(state, limit);
    const counted = limit === 'max_steps' || limit === 'max_turns';
    if (counted ? spent > max : spent >= max) return limit;
  }
  return null;
}

/**
 * Why a call's reservation was refused: a limit it cannot fit even when nothing else is in
 * flight (exceeded), or only the calls in flight (wait for them to settle). Before the first
 * call has settled nothing is known about a call's size, so only one call runs at a time
 * (`probe`): otherwise a fan-out would start every branch at once on an empty estimate.
 */
export function reservationVerdict(state: BudgetState): { exceeded: BudgetLimit } | 'wait' | 'fits' {
  const estimate = callEstimate(state);
  for (const limit of ['max_tokens', 'max_cost'] as const) {
    const max = state.limits[limit];
    if (max === undefined) continue;
    const spent = spentOn(state, limit);
    const need = limit === 'max_tokens' ? estimate.tokens : estimate.cost;
    if (spent >= max || spent + need > max) return { exceeded: limit };
  }
  if (state.settledCalls === 0 && state.reserved.calls > 0) return 'wait';
  for (const limit of ['max_tokens', 'max_cost'] as const) {
    const max = state.limits[limit];
    if (max === undefined) continue;
    const reserved = limit === 'max_tokens' ? state.reserved.tokens : state.reserved.cost;
    const need = limit === 'max_tokens' ? estimate.tokens : estimate.cost;
    if (spentOn(state, limit) + reserved + need > max) return 'wait';
  }
  return 'fits';
}

/** Whether agent calls of this tree reserve before they start (a token or cost limit is set). */
export function reservesCalls(state: BudgetState): boolean {
  return state.limits.max_tokens !== undefined || state.limits.max_cost !== undefined;
}

/** Usage as an agent reported it: `{ tokens?, cost? }` with non-negative finite numbers. */
export function readUsage(value: unknown): { tokens: number; cost: number } | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { tokens, cost } = value as { tokens?: unknown; cost?: unknown };
  const t = typeof tokens === 'number' && Number.isFinite(tokens) && tokens > 0 ? Math.round(tokens) : 0;
  const c = typeof cost === 'number' && Number.isFinite(cost) && cost > 0 ? cost : 0;
  return t > 0 || c > 0 ? { tokens: t, cost: c } : null;
}

/** The message of a `budget_exceeded` error: the limit, what was spent and the maximum. */
export function exceededMessage(state: BudgetState, limit: BudgetLimit): string {
  return `budget exceeded: ${limit} (spent ${round(spentOn(state, limit))} of ${state.limits[limit]})`;
}

/** A proposal for an `ask` approval: the exceeded limit doubled (at least past what was spent). */
export function proposedLimits(state: BudgetState, limit: BudgetLimit): Partial<Record<BudgetLimit, number>> {
  const max = state.limits[limit] ?? 0;
  const raised = Math.max(max * 2, spentOn(state, limit) + max);
  const value = limit === 'max_cost' ? raised : Math.ceil(raised);
  return { ...state.limits, [limit]: value };
}

function limitEntries(state: BudgetState): Array<[BudgetLimit, number]> {
  return Object.entries(state.limits).filter((e): e is [BudgetLimit, number] => typeof e[1] === 'number');
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** The error a step gets when the tree's budget stops it; the executor acts on `onExceed`. */
export class BudgetExceededError extends Error {
  readonly code = 'budget_exceeded';

  constructor(
    readonly limit: BudgetLimit,
    readonly state: BudgetState,
    message?: string,
  ) {
    super(message ?? exceededMessage(state, limit));
  }

  get onExceed(): BudgetOnExceed {
    return this.state.onExceed;
  }

  get rootRunId(): string {
    return this.state.rootRunId;
  }
}
