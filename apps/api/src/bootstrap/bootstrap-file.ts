import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { FieldError } from '@baton/common';

/** The sections a bootstrap file may hold, each a list of entries in its API's own shape. */
export const BOOTSTRAP_SECTIONS = ['definitions', 'agents', 'webhooks', 'schedules', 'node_registration_tokens', 'policies'] as const;
export type BootstrapSection = (typeof BOOTSTRAP_SECTIONS)[number];
export type BootstrapFile = Record<BootstrapSection, Record<string, unknown>[]>;

/** A bad bootstrap file: every problem, each with the file and the field's path. */
export class BootstrapFileError extends Error {
  constructor(
    readonly file: string,
    readonly errors: FieldError[],
  ) {
    super(`bootstrap file ${file} is invalid:\n${errors.map((e) => `  ${file}: ${e.path}: ${e.message}`).join('\n')}`);
    this.name = 'BootstrapFileError';
  }
}

/** Reads and checks the file's shape (YAML syntax, sections, entries are objects). */
export function readBootstrapFile(file: string): BootstrapFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BootstrapFileError(file, [{ path: '(file)', message: `cannot be read: ${(error as Error).message}` }]);
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new BootstrapFileError(file, document.errors.map((e) => ({ path: `(line ${e.linePos?.[0]?.line ?? '?'})`, message: e.message.split('\n')[0]! })));
  }
  const root = document.toJS() ?? {};
  const errors: FieldError[] = [];
  const result = Object.fromEntries(BOOTSTRAP_SECTIONS.map((s) => [s, []])) as unknown as BootstrapFile;
  if (typeof root !== 'object' || Array.isArray(root)) throw new BootstrapFileError(file, [{ path: '(root)', message: 'must be a mapping of sections' }]);
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    if (!(BOOTSTRAP_SECTIONS as readonly string[]).includes(key)) {
      errors.push({ path: key, message: `is not a section (expected ${BOOTSTRAP_SECTIONS.join(', ')})` });
      continue;
    }
    if (!Array.isArray(value)) {
      errors.push({ path: key, message: 'must be a list' });
      continue;
    }
    value.forEach((entry, index) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) errors.push({ path: `${key}[${index}]`, message: 'must be a mapping' });
      else result[key as BootstrapSection].push(entry as Record<string, unknown>);
    });
  }
  if (errors.length > 0) throw new BootstrapFileError(file, errors);
  return result;
}
