import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BatonError, type FieldError } from '@baton/common';
import type { McpTool } from './mcp-tool.js';

const ajv = new Ajv({ strict: false, allErrors: true });
// The one format the tools use; ajv-formats would add dozens we do not need.
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const compiled = new WeakMap<McpTool, ValidateFunction>();

/**
 * Checks a tool call's arguments against the tool's input schema before any service runs;
 * throws a BatonError `validation` naming each bad field, which becomes an MCP tool error.
 */
export function checkArguments(tool: McpTool, args: unknown): Record<string, unknown> {
  let validate = compiled.get(tool);
  if (!validate) {
    validate = ajv.compile(tool.inputSchema);
    compiled.set(tool, validate);
  }
  const value = args ?? {};
  if (validate(value)) return value as Record<string, unknown>;
  throw BatonError.validation((validate.errors ?? []).map(fieldErrorOf));
}

/** An ajv error in the caller's terms: `runId: must match format "uuid"`, `plan: is required`. */
function fieldErrorOf(error: ErrorObject): FieldError {
  const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const join = (name: string) => (base ? `${base}.${name}` : name);
  if (error.keyword === 'required') return { path: join(String(error.params.missingProperty)), message: 'is required' };
  if (error.keyword === 'additionalProperties') {
    return { path: join(String(error.params.additionalProperty)), message: 'is not a known argument' };
  }
  return { path: base || '(arguments)', message: error.message ?? 'is invalid' };
}
