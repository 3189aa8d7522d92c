import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FieldError } from '@baton/common';

// strict off: registered schemas may carry keywords Ajv does not know (`examples`, vendor ones).
const ajv = new Ajv({ strict: false, allErrors: true });

/** Compiles a schema, or returns why it does not compile. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction | string {
  try {
    return ajv.compile(schema);
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Ajv's errors as field errors, each naming the bad field in the caller's terms
 * (`payload.items[2].sku`). A missing property is named itself, not its parent object.
 */
export function payloadErrors(errors: ErrorObject[]): FieldError[] {
  return errors.map((error) => {
    let path = `payload${error.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`;
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    if (error.keyword === 'required' && missing) path += `.${missing}`;
    const extra = (error.params as { additionalProperty?: string }).additionalProperty;
    if (error.keyword === 'additionalProperties' && extra) path += `.${extra}`;
    return { path, message: error.message ?? 'is invalid' };
  });
}
