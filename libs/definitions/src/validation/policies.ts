import type { CachePolicy, FailurePolicy } from '../definition.types.js';
import { Issues, child, readBoolean, readInteger, readNumber, readObject, type Json } from './field-reader.js';

/** Failure-policy keys as written, partial: a step's `retry` overrides only what it names. */
export interface FailureOverrides {
  maxAttempts?: number;
  backoff: { initialMs?: number; multiplier?: number; maxMs?: number };
  allowSkip?: boolean;
  notifyHuman?: boolean;
}

export const DEFAULT_FAILURE_POLICY: FailurePolicy = {
  maxAttempts: 3,
  backoff: { initialMs: 1000, multiplier: 2, maxMs: 60_000 },
  allowSkip: false,
  notifyHuman: false,
};

export const DEFAULT_CACHE_POLICY: CachePolicy = { enabled: false, ttlSeconds: 3600 };

const FAILURE_KEYS = ['max_attempts', 'backoff', 'allow_skip', 'notify_human'] as const;
const BACKOFF_KEYS = ['initial_ms', 'multiplier', 'max_ms'] as const;
const CACHE_KEYS = ['enabled', 'ttlSeconds'] as const;

/** Reads `on_step_failure` or a step's `retry`; absent means no overrides. */
// What a step without `retry` or `cache` reads as: shared, never mutated (a 10,000-step
// graph would otherwise allocate both 10,000 times).
const NO_FAILURE_OVERRIDES: FailureOverrides = Object.freeze({ backoff: Object.freeze({}) }) as FailureOverrides;
const NO_CACHE_OVERRIDES: Partial<CachePolicy> = Object.freeze({});

export function readFailureOverrides(value: unknown, path: string, issues: Issues): FailureOverrides {
  if (value === undefined) return NO_FAILURE_OVERRIDES;
  const overrides: FailureOverrides = { backoff: {} };
  const obj = readObject(value, path, issues, FAILURE_KEYS);
  if (!obj) return overrides;
  overrides.maxAttempts = readInteger(obj, 'max_attempts', path, issues);
  overrides.allowSkip = readBoolean(obj, 'allow_skip', path, issues);
  overrides.notifyHuman = readBoolean(obj, 'notify_human', path, issues);
  if (obj.backoff !== undefined) {
    const at = child(path, 'backoff');
    const backoff = readObject(obj.backoff, at, issues, BACKOFF_KEYS);
    if (backoff) {
      overrides.backoff = {
        initialMs: readInteger(backoff, 'initial_ms', at, issues, 0),
        multiplier: readNumber(backoff, 'multiplier', at, issues, 1),
        maxMs: readInteger(backoff, 'max_ms', at, issues, 0),
      };
    }
  }
  return overrides;
}

// The common case (caching as the definition default, off) shares one object across steps.
const SHARED_CACHE: CachePolicy = Object.freeze({ enabled: false, ttlSeconds: 3600 }) as CachePolicy;

/** `over` wins field by field, backoff included. No overrides: `base` itself (shared, never mutated). */
export function mergeFailure(base: FailurePolicy, over: FailureOverrides): FailurePolicy {
  if (
    over.maxAttempts === undefined && over.allowSkip === undefined && over.notifyHuman === undefined &&
    over.backoff.initialMs === undefined && over.backoff.multiplier === undefined && over.backoff.maxMs === undefined
  ) {
    return base;
  }
  return {
    maxAttempts: over.maxAttempts ?? base.maxAttempts,
    backoff: {
      initialMs: over.backoff.initialMs ?? base.backoff.initialMs,
      multiplier: over.backoff.multiplier ?? base.backoff.multiplier,
      maxMs: over.backoff.maxMs ?? base.backoff.maxMs,
    },
    allowSkip: over.allowSkip ?? base.allowSkip,
    notifyHuman: over.notifyHuman ?? base.notifyHuman,
  };
}

/** Reads `{ enabled?, ttlSeconds? }` (a step's `cache` or `caching.steps.<id>`). */
export function readCacheOverrides(value: unknown, path: string, issues: Issues): Partial<CachePolicy> {
  if (value === undefined) return NO_CACHE_OVERRIDES;
  const obj = readObject(value, path, issues, CACHE_KEYS);
  return obj ? readCacheFields(obj, path, issues) : {};
}

/** `enabled` and `ttlSeconds` of an object already checked for unknown keys. */
export function readCacheFields(obj: Json, path: string, issues: Issues): Partial<CachePolicy> {
  const result: Partial<CachePolicy> = {};
  const enabled = readBoolean(obj, 'enabled', path, issues);
  const ttlSeconds = readInteger(obj, 'ttlSeconds', path, issues);
  if (enabled !== undefined) result.enabled = enabled;
  if (ttlSeconds !== undefined) result.ttlSeconds = ttlSeconds;
  return result;
}

/** Step `cache` > `caching.steps.<id>` > the definition's caching, field by field. */
export function mergeCache(base: CachePolicy, ...overrides: Array<Partial<CachePolicy> | undefined>): CachePolicy {
  if (!overrides.some(overridesCache)) {
    return base.enabled === SHARED_CACHE.enabled && base.ttlSeconds === SHARED_CACHE.ttlSeconds ? SHARED_CACHE : { enabled: base.enabled, ttlSeconds: base.ttlSeconds };
  }
  const result: CachePolicy = { enabled: base.enabled, ttlSeconds: base.ttlSeconds };
  for (const over of overrides) {
    if (over?.enabled !== undefined) result.enabled = over.enabled;
    if (over?.ttlSeconds !== undefined) result.ttlSeconds = over.ttlSeconds;
  }
  return result;
}

function overridesCache(over: Partial<CachePolicy> | undefined): boolean {
  return over?.enabled !== undefined || over?.ttlSeconds !== undefined;
}
