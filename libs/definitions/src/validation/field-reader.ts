import type { FieldError } from '@baton/common';

/**
 * Small readers over untrusted JSON that collect every problem under the caller's path
 * instead of stopping at the first, so one 400 lists everything to fix.
 */
export class Issues {
  readonly errors: FieldError[] = [];

  add(path: string, message: string): void {
    this.errors.push({ path, message });
  }
}

export type Json = Record<string, unknown>;

export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The object at `path` with only `allowed` keys; unknown keys are errors at their own path. */
export function readObject(value: unknown, path: string, issues: Issues, allowed: readonly string[]): Json | undefined {
  if (!isObject(value)) {
    issues.add(path || 'body', `must be an object, got ${describe(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) issues.add(child(path, key), `unknown key (allowed: ${allowed.join(', ')})`);
  }
  return value;
}

interface StringRule {
  required?: boolean;
  pattern?: RegExp;
  patternHint?: string;
  maxLength?: number;
}

export function readString(obj: Json, key: string, path: string, issues: Issues, rule: StringRule = NO_RULE): string | undefined {
  const value = obj[key];
  // The path is built only for an error: a 10,000-step body reads ~100,000 fields.
  if (value === undefined) {
    if (rule.required) issues.add(child(path, key), 'is required');
    return undefined;
  }
  if (typeof value !== 'string') return void issues.add(child(path, key), `must be a string, got ${describe(value)}`);
  if (rule.required && value.trim() === '') return void issues.add(child(path, key), 'must not be empty');
  if (rule.maxLength !== undefined && value.length > rule.maxLength) {
    return void issues.add(child(path, key), `must be at most ${rule.maxLength} characters`);
  }
  if (rule.pattern && !rule.pattern.test(value)) return void issues.add(child(path, key), `must match ${rule.patternHint ?? rule.pattern}`);
  return value;
}

const NO_RULE: StringRule = Object.freeze({});

export function readBoolean(obj: Json, key: string, path: string, issues: Issues): boolean | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') return void issues.add(child(path, key), `must be true or false, got ${describe(value)}`);
  return value;
}

/** An integer >= `min` (1 unless told). */
export function readInteger(obj: Json, key: string, path: string, issues: Issues, min = 1): number | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    return void issues.add(child(path, key), `must be ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function readNumber(obj: Json, key: string, path: string, issues: Issues, min: number): number | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    return void issues.add(child(path, key), `must be a number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}
