import vm from 'node:vm';
import type { CompiledExpression } from './compile-expression.js';

/** Longest an evaluation may run; CEL cannot loop, but comprehensions over big lists can be slow. */
export const EXPRESSION_TIMEOUT_MS = 100;
/** Largest result (as JSON), so an expression cannot build a huge value out of a small input. */
export const MAX_RESULT_BYTES = 64 * 1024;

/** What an expression can see; extension variables (`turn`, `history`, ...) go in as extra keys. */
export interface ExpressionContext {
  input?: unknown;
  steps?: Record<string, { output?: unknown; status?: string; iterations?: unknown[] } | undefined>;
  item?: unknown;
  index?: number;
  run?: { id: string };
  iteration?: number;
  [extension: string]: unknown;
}

/**
 * An expression failed at run time (no such key, wrong type, too slow, result too big). The
 * step that evaluated it fails and is not retried: the same inputs would fail the same way.
 * Shaped like the executor's StepFailure (`retryable`, `code`, `details`).
 */
export class ExpressionError extends Error {
  readonly retryable = false;
  readonly code = 'expression_error';

  constructor(
    message: string,
    readonly details: { path: string; expression: string },
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

// One context for every evaluation: the vm is used only for its timeout, which stops a
// runaway synchronous evaluation (V8 terminates the script, host calls included).
const sandbox = vm.createContext({});
const runner = new vm.Script('__celRun()');

/** Evaluates `compiled` against `context` within the time and size bounds; returns plain JSON. */
export function evaluateExpression(compiled: CompiledExpression, context: ExpressionContext): unknown {
  const fail = (why: string): never => {
    throw new ExpressionError(`${compiled.path}: ${why} (in \`${compiled.source}\`)`, { path: compiled.path, expression: compiled.source });
  };
  const variables = toCelContext(context);
  let raw: unknown;
  sandbox.__celRun = () => compiled.program(variables);
  try {
    raw = runner.runInContext(sandbox, { timeout: EXPRESSION_TIMEOUT_MS });
  } catch (error) {
    if ((error as { code?: string })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') fail(`took longer than ${EXPRESSION_TIMEOUT_MS} ms`);
    const cel = error as { summary?: string; message?: string };
    fail(String(cel?.summary ?? cel?.message ?? error).split('\n')[0]);
  } finally {
    sandbox.__celRun = undefined;
  }
  if (raw instanceof Promise) fail('evaluated asynchronously, which conditions do not allow');
  const result = fromCel(raw);
  const size = JSON.stringify(result ?? null).length;
  if (size > MAX_RESULT_BYTES) fail(`result is ${size} bytes, more than the ${MAX_RESULT_BYTES} allowed`);
  return result;
}

/** Evaluates a condition: anything but a boolean is an error, never a silent false. */
export function evaluateCondition(compiled: CompiledExpression, context: ExpressionContext): boolean {
  const value = evaluateExpression(compiled, context);
  if (typeof value !== 'boolean') {
    throw new ExpressionError(`${compiled.path}: must evaluate to true or false, got ${JSON.stringify(value) ?? 'nothing'} (in \`${compiled.source}\`)`, {
      path: compiled.path,
      expression: compiled.source,
    });
  }
  return value;
}

/** Integer positions become CEL ints; JSON values stay as they are (numbers are doubles, as in CEL's JSON mapping). */
function toCelContext(context: ExpressionContext): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    variables[key] = (key === 'index' || key === 'iteration') && typeof value === 'number' ? BigInt(value) : toJsonValue(value);
  }
  return variables;
}

/** Drops undefined members (CEL has no undefined) without copying what needs no change. */
function toJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((element) => (element === undefined ? null : toJsonValue(element)));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = toJsonValue(member);
  return out;
}

function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (Array.isArray(value)) return value.map(fromCel);
  if (value !== null && typeof value === 'object') {
    if (typeof (value as { valueOf?: () => unknown }).valueOf === 'function') {
      const primitive = (value as { valueOf: () => unknown }).valueOf();
      if (primitive !== value) return fromCel(primitive);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  }
  return value;
}
