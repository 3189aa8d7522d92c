import { BatonError } from '@baton/common';
import type { BudgetLimit, BudgetOnExceed, BudgetSpec } from '../definition.types.js';
import { Issues, child, readInteger, readNumber, readObject } from './field-reader.js';

/** The limits a budget may set, in the order they are listed. */
export const BUDGET_LIMITS: readonly BudgetLimit[] = ['max_steps', 'max_turns', 'max_tokens', 'max_cost', 'max_wall_seconds'];
const ON_EXCEED: readonly BudgetOnExceed[] = ['fail', 'pause', 'ask'];
const BUDGET_KEYS = [...BUDGET_LIMITS, 'on_exceed'] as const;
/** Steps, turns and seconds are stored as 4-byte integers; tokens as 8-byte (any safe integer). */
const INT_MAX = 2_147_483_647;

/**
 * Reads a `budget` block: integer limits for steps, turns, tokens and seconds, a number for
 * cost, and `on_exceed` (default `fail`). At least one limit must be set: an empty budget
 * would only be a typo that limits nothing. `requireLimit: false` reads a partial update.
 */
export function readBudget(value: unknown, path: string, issues: Issues, options: { requireLimit?: boolean } = {}): BudgetSpec | undefined {
  const obj = readObject(value, path, issues, BUDGET_KEYS);
  if (!obj) return undefined;
  const before = issues.errors.length;
  const limits: BudgetSpec['limits'] = {};
  for (const limit of BUDGET_LIMITS) {
    const read = limit === 'max_cost' ? readPositiveNumber(obj, limit, path, issues) : readInteger(obj, limit, path, issues);
    if (read !== undefined && limit !== 'max_tokens' && limit !== 'max_cost' && read > INT_MAX) {
      issues.add(child(path, limit), `must be at most ${INT_MAX}, got ${read}`);
    } else if (read !== undefined) limits[limit] = read;
  }
  let onExceed: BudgetOnExceed = 'fail';
  if (obj.on_exceed !== undefined) {
    if (ON_EXCEED.includes(obj.on_exceed as BudgetOnExceed)) onExceed = obj.on_exceed as BudgetOnExceed;
    else issues.add(child(path, 'on_exceed'), `must be one of ${ON_EXCEED.join(', ')}, got ${JSON.stringify(obj.on_exceed)}`);
  }
  if ((options.requireLimit ?? true) && Object.keys(limits).length === 0 && issues.errors.length === before) {
    issues.add(path, `must set at least one of ${BUDGET_LIMITS.join(', ')}`);
  }
  return issues.errors.length === before ? { limits, onExceed } : undefined;
}

/** `readBudget` for input outside a definition (a run request): throws a 400 naming each path. */
export function parseBudget(value: unknown, path = 'budget', options: { requireLimit?: boolean } = {}): BudgetSpec {
  const issues = new Issues();
  const budget = readBudget(value, path, issues, options);
  if (!budget) throw BatonError.validation(issues.errors);
  return budget;
}

function readPositiveNumber(obj: Record<string, unknown>, key: string, path: string, issues: Issues): number | undefined {
  const value = readNumber(obj, key, path, issues, 0);
  if (value === 0) return void issues.add(child(path, key), 'must be a number > 0, got 0');
  return value;
}
