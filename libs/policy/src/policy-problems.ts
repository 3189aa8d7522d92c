import type { FieldError } from '@baton/common';
import type { DetailedError } from './cedar.js';

/** Where a byte offset (Cedar counts UTF-8 bytes) into `text` falls, 1-based. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = Buffer.from(text, 'utf8').subarray(0, Math.max(0, offset)).toString('utf8');
  const line = before.split('\n').length;
  return { line, column: before.length - before.lastIndexOf('\n') };
}

/**
 * Cedar's errors as field errors naming the line: `line 4, column 12: unexpected token …`.
 * Cedar reports byte offsets into the text it was given; our texts are the whole file.
 */
export function toFieldErrors(text: string, errors: DetailedError[], path = 'policy'): FieldError[] {
  return errors.map((error) => {
    const at = error.sourceLocations?.[0];
    const where = at ? lineAndColumn(text, at.start) : undefined;
    const label = at?.label ? ` (${at.label})` : '';
    const help = error.help ? `; ${error.help}` : '';
    const message = `${where ? `line ${where.line}, column ${where.column}: ` : ''}${error.message}${label}${help}`;
    return { path: where ? `${path}:${where.line}` : path, message };
  });
}
