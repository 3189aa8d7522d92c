import type { FieldError } from '../baton-error.js';

/**
 * Values that would fail deep inside Baton with a 500 instead of a 400: NUL characters and
 * lone UTF-16 surrogates (Postgres text and jsonb refuse both), nesting deep enough to
 * overflow a recursive reader (class-transformer, the template scanner), and `__proto__`
 * keys (prototype pollution in any code that copies objects by assignment).
 */
export interface InputLimits {
  /** Objects and arrays nested deeper than this are refused. */
  maxDepth: number;
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

/**
 * The first hostile spot in `value`, named by its path (`steps[2].input.text`), or
 * undefined. Iterative, so a 100,000-level array cannot overflow the stack here; it stops
 * descending at `maxDepth`. A clean value (nearly every one) costs one walk that allocates
 * almost nothing; only a hostile one is walked again to name its first problem.
 */
export function findHostileInput(value: unknown, limits: InputLimits, root = ''): FieldError | undefined {
  return isClean(value, limits.maxDepth) ? undefined : firstHostileSpot(value, limits, root);
}

/** `findHostileInput` without paths: objects and arrays go on the stack, strings are checked where they are met. */
function isClean(value: unknown, maxDepth: number): boolean {
  if (typeof value === 'string') return stringProblem(value) === undefined;
  if (value === null || typeof value !== 'object') return true;
  const values: object[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const current = values.pop()!;
    const depth = depths.pop()!;
    if (depth >= maxDepth) return false;
    if (Array.isArray(current)) {
      for (const member of current) {
        if (typeof member === 'string') {
          if (stringProblem(member)) return false;
        } else if (member !== null && typeof member === 'object') {
          values.push(member);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    for (const key of Object.keys(current)) {
      if (key === '__proto__' || stringProblem(key)) return false;
      const member = (current as Record<string, unknown>)[key];
      if (typeof member === 'string') {
        if (stringProblem(member)) return false;
      } else if (member !== null && typeof member === 'object') {
        values.push(member);
        depths.push(depth + 1);
      }
    }
  }
  return true;
}

function firstHostileSpot(value: unknown, limits: InputLimits, root: string): FieldError | undefined {
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const current = frame.value;
    if (typeof current === 'string') {
      const problem = stringProblem(current);
      if (problem) return { path: pathOf(frame, root), message: problem };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (frame.depth >= limits.maxDepth) {
      return { path: pathOf(frame, root), message: `is nested deeper than ${limits.maxDepth} levels` };
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], depth: frame.depth + 1, parent: frame, key: i });
      continue;
    }
    for (const key of Object.keys(current)) {
      const child: Frame = { value: (current as Record<string, unknown>)[key], depth: frame.depth + 1, parent: frame, key };
      if (key === '__proto__') return { path: pathOf(child, root), message: 'is not an accepted field name' };
      const problem = stringProblem(key);
      if (problem) return { path: pathOf(frame, root) || 'body', message: `has a key that ${problem}` };
      stack.push(child);
    }
  }
  return undefined;
}

/**
 * Objects a request guard walked and found clean, with the depth limit it used: a service
 * that checks whatever door a body came through need not walk an HTTP body twice. Only the
 * walked object itself is remembered (not its members), and nothing mutates a request body
 * between the guard and the controller.
 */
const foundClean = new WeakMap<object, number>();

export function rememberClean(value: unknown, limits: InputLimits): void {
  if (value !== null && typeof value === 'object') foundClean.set(value, limits.maxDepth);
}

/** Whether `value` was found clean under a depth limit no looser than `maxDepth`. */
export function wasFoundClean(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const checkedAt = foundClean.get(value);
  return checkedAt !== undefined && checkedAt <= maxDepth;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored, or undefined when it can. */
export function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (it holds a lone UTF-16 surrogate)';
  return undefined;
}

function pathOf(frame: Frame, root: string): string {
  const parts: Array<string | number> = [];
  for (let at: Frame | undefined = frame; at && at.key !== undefined; at = at.parent) parts.push(at.key);
  let path = root;
  for (const part of parts.reverse()) {
    if (typeof part === 'number') path += `[${part}]`;
    else path += path ? `.${part}` : part;
  }
  return path || 'body';
}
