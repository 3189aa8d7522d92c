import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `libs/policy/policies`, found by walking up from this file (source or compiled, like the migrations). */
export function policiesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'libs', 'policy', 'policies');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return resolve('libs/policy/policies');
    dir = parent;
  }
}

/** Baton's Cedar schema (`policies/baton.cedarschema`). */
export function cedarSchemaText(): string {
  return readFileSync(join(policiesDir(), 'baton.cedarschema'), 'utf8');
}

/** The default policy set shipped in the repository (`policies/default.cedar`). */
export function defaultPolicyText(): string {
  return readFileSync(join(policiesDir(), 'default.cedar'), 'utf8');
}
