import { BatonError, type FieldError } from '@baton/common';
import { duration } from './read-workflow.js';

/** `POST /api/v1/workflows/{id}/execute`, read and checked. */
export interface ExecuteRequest {
  input: unknown;
  timeoutSeconds?: number;
}

const KEYS = ['input_data', 'execution_options'];
const OPTION_KEYS = ['timeout'];
/** Seed options with no run setting behind them yet: refused by name rather than ignored. */
const UNSUPPORTED_OPTIONS = ['retry_policy', 'resource_constraints'];

/**
 * Reads `{ input_data?, execution_options?: { timeout? } }`. `retry_policy` and
 * `resource_constraints` are refused (400) until a run can carry them: accepting and
 * ignoring them would let a caller believe they hold.
 */
export function readExecuteRequest(body: unknown): ExecuteRequest {
  const errors: FieldError[] = [];
  const obj = body === undefined || body === null ? {} : body;
  if (typeof obj !== 'object' || Array.isArray(obj)) throw BatonError.validation([{ path: 'body', message: 'must be an object' }]);
  const b = obj as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!KEYS.includes(key)) errors.push({ path: key, message: `unknown key (known: ${KEYS.join(', ')})` });
  const input = b.input_data ?? {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) errors.push({ path: 'input_data', message: 'must be an object' });
  let timeoutSeconds: number | undefined;
  const options = b.execution_options;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' || Array.isArray(options)) errors.push({ path: 'execution_options', message: 'must be an object' });
    else {
      const o = options as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        if (UNSUPPORTED_OPTIONS.includes(key)) errors.push({ path: `execution_options.${key}`, message: 'is not supported yet: set it in the workflow document' });
        else if (!OPTION_KEYS.includes(key)) errors.push({ path: `execution_options.${key}`, message: `unknown key (known: ${OPTION_KEYS.join(', ')})` });
      }
      if (o.timeout !== undefined) timeoutSeconds = duration(o.timeout, 'execution_options.timeout', errors);
    }
  }
  if (errors.length > 0) throw BatonError.validation(errors);
  return { input, timeoutSeconds };
}
