import type { FieldError } from '@baton/common';

/**
 * Event type patterns of a subscription: `*` (everything), an exact type (`run.completed`)
 * or a prefix wildcard (`step.*`, which matches `step.failed` and `step.cache_hit`).
 * Types are not checked against a catalogue: other features add their own (`approval.*`).
 */
const PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/;
const MAX_PATTERNS = 100;

export const ALL_EVENTS = '*';

/** Checks and normalises patterns; errors name the element (`events[1]`). Absent or empty = all. */
export function normaliseEventPatterns(input: unknown, path = 'events'): { patterns: string[]; errors: FieldError[] } {
  if (input === undefined || input === null) return { patterns: [ALL_EVENTS], errors: [] };
  if (!Array.isArray(input)) return { patterns: [], errors: [{ path, message: 'must be an array of event types' }] };
  if (input.length > MAX_PATTERNS) return { patterns: [], errors: [{ path, message: `must have at most ${MAX_PATTERNS} entries` }] };
  const errors: FieldError[] = [];
  const patterns = new Set<string>();
  input.forEach((value, index) => {
    const text = typeof value === 'string' ? value.trim() : '';
    if (text === ALL_EVENTS || PATTERN.test(text)) patterns.add(text);
    else errors.push({ path: `${path}[${index}]`, message: 'must be "*", an event type like "run.completed" or a prefix like "step.*"' });
  });
  if (patterns.size === 0 || patterns.has(ALL_EVENTS)) return { patterns: [ALL_EVENTS], errors };
  return { patterns: [...patterns], errors };
}

/** Whether an event of `type` goes to a subscription with these patterns. */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === ALL_EVENTS) return true;
    if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
    return pattern === type;
  });
}
