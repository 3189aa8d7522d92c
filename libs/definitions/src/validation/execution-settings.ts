import type { CachePolicy, ExecutionSettings } from '../definition.types.js';
import { readRollback } from './compensate-reader.js';
import { Issues, child, readInteger, readObject, type Json } from './field-reader.js';
import { DEFAULT_CACHE_POLICY, DEFAULT_FAILURE_POLICY, mergeCache, mergeFailure, readCacheFields, readCacheOverrides, readFailureOverrides } from './policies.js';

const ORCHESTRATION_KEYS = ['execution', 'error_handling', 'timeout_seconds'] as const;
const EXECUTION_KEYS = ['concurrency', 'maxParallel', 'max_parallel', 'caching'] as const;
const ERROR_HANDLING_KEYS = ['on_step_failure', 'rollback'] as const;
/** A run deadline of at most a year (issue 12): beyond that it is a typo, and it must fit an int. */
const MAX_RUN_TIMEOUT_SECONDS = 366 * 24 * 3600;
const CACHING_KEYS = ['enabled', 'ttlSeconds', 'steps'] as const;

export interface ReadExecution {
  settings: ExecutionSettings;
  /** `caching.steps` entries by step id, with their paths, to check against the steps. */
  cachedStepPaths: Map<string, string>;
}

/** Reads the `orchestration` block; absent parts take the defaults. */
export function readExecutionSettings(value: unknown, issues: Issues): ReadExecution {
  const result: ReadExecution = {
    settings: { errorHandling: DEFAULT_FAILURE_POLICY, caching: { ...DEFAULT_CACHE_POLICY, steps: {} } },
    cachedStepPaths: new Map(),
  };
  if (value === undefined) return result;
  const orchestration = readObject(value, 'orchestration', issues, ORCHESTRATION_KEYS);
  if (!orchestration) return result;
  if (orchestration.execution !== undefined) {
    const execution = readObject(orchestration.execution, 'orchestration.execution', issues, EXECUTION_KEYS);
    if (execution) {
      readMaxParallel(execution, issues, result.settings);
      readCaching(execution.caching, issues, result);
    }
  }
  const timeoutSeconds = readInteger(orchestration, 'timeout_seconds', 'orchestration', issues);
  if (timeoutSeconds !== undefined && timeoutSeconds > MAX_RUN_TIMEOUT_SECONDS) {
    issues.add('orchestration.timeout_seconds', `must be at most ${MAX_RUN_TIMEOUT_SECONDS} (one year), got ${timeoutSeconds}`);
  } else if (timeoutSeconds !== undefined) result.settings.timeoutSeconds = timeoutSeconds;
  if (orchestration.error_handling !== undefined) {
    const path = 'orchestration.error_handling';
    const errorHandling = readObject(orchestration.error_handling, path, issues, ERROR_HANDLING_KEYS);
    if (errorHandling) {
      const overrides = readFailureOverrides(errorHandling.on_step_failure, child(path, 'on_step_failure'), issues);
      result.settings.errorHandling = mergeFailure(DEFAULT_FAILURE_POLICY, overrides);
      if (errorHandling.rollback !== undefined) {
        const rollback = readRollback(errorHandling.rollback, child(path, 'rollback'), issues);
        if (rollback !== undefined) result.settings.rollback = rollback;
      }
    }
  }
  return result;
}

/**
 * `concurrency.maxParallel` is the current spelling; `maxParallel` and `max_parallel`
 * directly under `execution` are older ones still accepted. Giving two is ambiguous.
 */
function readMaxParallel(execution: Json, issues: Issues, settings: ExecutionSettings): void {
  const found: Array<{ key: string; value: number | undefined }> = [];
  if (execution.concurrency !== undefined) {
    const path = 'orchestration.execution.concurrency';
    const concurrency = readObject(execution.concurrency, path, issues, ['maxParallel']);
    if (concurrency && concurrency.maxParallel !== undefined) {
      found.push({ key: 'concurrency.maxParallel', value: readInteger(concurrency, 'maxParallel', path, issues) });
    }
  }
  for (const key of ['maxParallel', 'max_parallel']) {
    if (execution[key] !== undefined) {
      found.push({ key, value: readInteger(execution, key, 'orchestration.execution', issues) });
    }
  }
  for (const extra of found.slice(1)) {
    issues.add(`orchestration.execution.${extra.key}`, `conflicts with orchestration.execution.${found[0]!.key}; give only one`);
  }
  if (found[0]?.value !== undefined) {
    settings.maxParallel = found[0].value;
    settings.maxParallelKey = found[0].key;
  }
}

function readCaching(value: unknown, issues: Issues, result: ReadExecution): void {
  if (value === undefined) return;
  const path = 'orchestration.execution.caching';
  const caching = readObject(value, path, issues, CACHING_KEYS);
  if (!caching) return;
  const base: CachePolicy = mergeCache(DEFAULT_CACHE_POLICY, readCacheFields(caching, path, issues));
  const steps: Record<string, Partial<CachePolicy>> = {};
  if (caching.steps !== undefined) {
    const stepsPath = child(path, 'steps');
    const perStep = readObject(caching.steps, stepsPath, issues, Object.keys(caching.steps ?? {}));
    for (const [stepId, overrides] of Object.entries(perStep ?? {})) {
      const at = child(stepsPath, stepId);
      steps[stepId] = readCacheOverrides(overrides, at, issues);
      result.cachedStepPaths.set(stepId, at);
    }
  }
  result.settings.caching = { ...base, steps };
}
