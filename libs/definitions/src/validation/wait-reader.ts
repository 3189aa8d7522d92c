import type { WaitSpec } from '../definition.types.js';
import { CORE_VARIABLES, compileExpression } from '../expressions/index.js';
import { Issues, child, describe, isObject, readString, type Json } from './field-reader.js';

/** The keys a `type: wait` step adds to a step (`timeout_seconds` is every step's). */
export const WAIT_STEP_KEYS = ['event', 'match', 'on_timeout', 'since'] as const;
const ON_TIMEOUT: readonly WaitSpec['onTimeout'][] = ['fail', 'skip', 'continue'];
const SINCE: readonly WaitSpec['since'][] = ['run_start', 'step_ready'];
/** The event names Baton stores (`POST /api/v1/events/external`). */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$/;

/**
 * `type: wait` with `event`, `match?` (an object the event's data must contain, its strings may
 * be templates over the run's data; or a CEL condition over `event`, `input` and `steps`), `timeout_seconds?`, `on_timeout: fail | skip | continue`
 * (default fail) and `since: run_start | step_ready` (default run_start). A wait runs once, so
 * `for_each` is refused.
 */
export function readWaitStep(obj: Json, step: { path: string; forEach?: string }, issues: Issues): WaitSpec | undefined {
  const { path } = step;
  const event = readString(obj, 'event', path, issues, { required: true, pattern: EVENT_NAME_PATTERN, patternHint: 'letters, digits, "_", ".", ":", "/" and "-", at most 200', maxLength: 200 });
  const condition = typeof obj.match === 'string' ? readCondition(obj.match, child(path, 'match'), [...CORE_VARIABLES, 'event'], issues) : undefined;
  if (obj.match !== undefined && !isObject(obj.match) && typeof obj.match !== 'string') {
    issues.add(child(path, 'match'), `must be an object the event's data contains or a CEL condition, got ${describe(obj.match)}`);
  }
  const onTimeout = readChoice(obj, 'on_timeout', ON_TIMEOUT, path, issues) ?? 'fail';
  const since = readChoice(obj, 'since', SINCE, path, issues) ?? 'run_start';
  if (step.forEach !== undefined) issues.add(child(path, 'for_each'), 'is not allowed on a wait step (a wait runs once)');
  if (event === undefined) return undefined;
  return { event, match: isObject(obj.match) ? obj.match : {}, onTimeout, since, ...(condition !== undefined && { condition }) };
}

/** A CEL condition, compiled once here so a bad one is a 400 naming `path`. */
export function readCondition(source: string, path: string, declared: readonly string[], issues: Issues): string | undefined {
  const compiled = compileExpression(source, path, declared, { boolean: true });
  if (!compiled.ok) return void issues.add(compiled.error.path, compiled.error.message);
  return source;
}

function readChoice<T extends string>(obj: Json, key: string, choices: readonly T[], path: string, issues: Issues): T | undefined {
  const value = readString(obj, key, path, issues);
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) return void issues.add(child(path, key), `must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}
