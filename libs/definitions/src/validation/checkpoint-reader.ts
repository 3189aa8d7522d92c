import { Ajv } from 'ajv';
import type { CheckpointSpec } from '../definition.types.js';
import { Issues, child, readBoolean, readInteger, readObject, readString, type Json } from './field-reader.js';

const CHECKPOINT_KEYS = ['prompt', 'timeout_seconds', 'on_timeout', 'allow_edit', 'schema', 'payload'] as const;
const ON_TIMEOUT = ['reject', 'approve', 'fail'] as const;

// One compiler for checking that schemas compile; strict off so common keywords such as
// `format` or `examples` are accepted.
const ajv = new Ajv({ strict: false, allErrors: true });

/**
 * `checkpoint: { prompt, timeout_seconds?, on_timeout: reject | approve | fail (default fail),
 * allow_edit?, schema?, payload? }`. `payload` is a template for what the person reviews
 * (default: the upstream outputs); `schema` (JSON Schema) checks an edited payload.
 */
export function readCheckpoint(value: unknown, path: string, issues: Issues): CheckpointSpec | undefined {
  const obj = readObject(value ?? {}, path, issues, CHECKPOINT_KEYS);
  if (!obj) return undefined;
  const spec: CheckpointSpec = { onTimeout: 'fail', allowEdit: false };
  const prompt = readString(obj, 'prompt', path, issues, { maxLength: 10_000 });
  if (prompt !== undefined) spec.prompt = prompt;
  const timeout = readInteger(obj, 'timeout_seconds', path, issues);
  if (timeout !== undefined) spec.timeoutSeconds = timeout;
  if (obj.on_timeout !== undefined) {
    if (ON_TIMEOUT.includes(obj.on_timeout as (typeof ON_TIMEOUT)[number])) spec.onTimeout = obj.on_timeout as CheckpointSpec['onTimeout'];
    else issues.add(child(path, 'on_timeout'), `must be one of ${ON_TIMEOUT.join(', ')}`);
  }
  spec.allowEdit = readBoolean(obj, 'allow_edit', path, issues) ?? false;
  if (obj.schema !== undefined) readSchema(obj, path, issues, spec);
  if (obj.payload !== undefined) spec.payload = obj.payload;
  return spec;
}

function readSchema(obj: Json, path: string, issues: Issues, spec: CheckpointSpec): void {
  const at = child(path, 'schema');
  if (typeof obj.schema !== 'object' || obj.schema === null || Array.isArray(obj.schema)) {
    issues.add(at, 'must be a JSON Schema object');
    return;
  }
  try {
    ajv.compile(obj.schema);
    spec.schema = obj.schema as Record<string, unknown>;
  } catch (error) {
    issues.add(at, `is not a valid JSON Schema: ${(error as Error).message}`);
  }
}
