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
 * descending at `maxDepth`.
 */
export function findHostileInput(value: unknown, limits: InputLimits, root = ''): FieldError | undefined {
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
