import type { JsonSchema } from './mcp-tool.js';

/** Small JSON Schema builders shared by the tools, so each tool reads as its arguments. */
export const uuid = (description: string) => ({ type: 'string', format: 'uuid', description });
export const text = (description: string, maxLength = 200) => ({ type: 'string', minLength: 1, maxLength, description });
export const limit = { type: 'integer', minimum: 1, maximum: 500, description: 'page size (default 50)' };
export const cursor = { type: 'string', minLength: 1, description: 'nextCursor of the previous page' };

/** An object schema that refuses unknown arguments (a typo is an error, not a silent default). */
export function args(properties: Record<string, object>, required: string[] = []): JsonSchema {
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The structured result: an object with the named keys. */
export function result(properties: Record<string, object>): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties) };
}

export const OBJECT = { type: 'object' };
export const LIST = { type: 'array', items: { type: 'object' } };
export const CURSOR_OUT = { type: ['string', 'null'] };
