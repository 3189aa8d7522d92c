import type { CompensateSpec, RollbackSpec } from '../definition.types.js';
import { scanTemplates, type TemplateScan } from '../template/template-scan.js';
import { Issues, child, isObject, readInteger, readObject, readString } from './field-reader.js';

const COMPENSATE_KEYS = ['agent', 'capability', 'input', 'timeout_seconds', 'retry'] as const;
const COMPENSATE_RETRY_KEYS = ['max_attempts', 'initial_delay_ms'] as const;
/** A compensation is retried on its own budget: 3 attempts, 1 s doubling (capped at 30 s). */
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_DELAY_MS = 1000;
const MAX_ATTEMPTS = 20;
const ON_FAILURE = ['compensate', 'none'] as const;

/** A step's `compensate:` block (saga compensation, issue 12). */
export function readCompensate(value: unknown, path: string, issues: Issues): CompensateSpec | undefined {
  const obj = readObject(value, path, issues, COMPENSATE_KEYS);
  if (!obj) return undefined;
  const spec: CompensateSpec = { maxAttempts: DEFAULT_ATTEMPTS, initialDelayMs: DEFAULT_DELAY_MS };
  const agent = readString(obj, 'agent', path, issues, { maxLength: 200 });
  const capability = readString(obj, 'capability', path, issues, { maxLength: 200 });
  if (obj.agent === undefined && obj.capability === undefined) issues.add(child(path, 'agent'), 'is required (or give capability)');
  else if (obj.agent !== undefined && obj.capability !== undefined) issues.add(child(path, 'capability'), 'cannot be combined with agent; give exactly one');
  if (agent !== undefined) spec.agent = agent;
  if (capability !== undefined) spec.capability = capability;
  const timeout = readInteger(obj, 'timeout_seconds', path, issues);
  if (timeout !== undefined) spec.timeoutSeconds = timeout;
  if (obj.input !== undefined) {
    spec.input = obj.input;
    const scan: TemplateScan = { expressions: [], errors: [] };
    scanTemplates(obj.input, child(path, 'input'), scan);
    for (const error of scan.errors) issues.add(error.path, error.message);
    for (const { path: at, expr } of scan.expressions) {
      if (expr.root === 'item' || expr.root === 'index' || expr.root === 'iteration') issues.add(at, `${expr.root} is not available in a compensate block`);
    }
  }
  if (obj.retry !== undefined) {
    const retryPath = child(path, 'retry');
    const retry = readObject(obj.retry, retryPath, issues, COMPENSATE_RETRY_KEYS);
    const attempts = retry ? readInteger(retry, 'max_attempts', retryPath, issues) : undefined;
    if (attempts !== undefined && attempts > MAX_ATTEMPTS) issues.add(child(retryPath, 'max_attempts'), `must be at most ${MAX_ATTEMPTS}, got ${attempts}`);
    else if (attempts !== undefined) spec.maxAttempts = attempts;
    const delay = retry ? readInteger(retry, 'initial_delay_ms', retryPath, issues, 0) : undefined;
    if (delay !== undefined) spec.initialDelayMs = Math.min(delay, 30_000);
  }
  return spec;
}

/**
 * `orchestration.error_handling.rollback`. `on_failure` (compensate | none) and
 * `timeout_seconds` (bounds the whole rollback) are acted on; with neither, the keys are older
 * hints, kept as they were given.
 */
export function readRollback(value: unknown, path: string, issues: Issues): RollbackSpec | Record<string, unknown> | undefined {
  if (!isObject(value)) return void issues.add(path, 'must be an object like { on_failure: compensate | none }');
  if (value.on_failure === undefined && value.timeout_seconds === undefined) return value;
  const onFailure = value.on_failure ?? 'none';
  if (typeof onFailure !== 'string' || !(ON_FAILURE as readonly string[]).includes(onFailure)) {
    return void issues.add(child(path, 'on_failure'), `must be one of ${ON_FAILURE.join(', ')}`);
  }
  const spec: RollbackSpec = { onFailure: onFailure as RollbackSpec['onFailure'] };
  const timeout = readInteger(value, 'timeout_seconds', path, issues);
  if (timeout !== undefined) spec.timeoutSeconds = timeout;
  return spec;
}
