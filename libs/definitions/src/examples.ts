import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDefinitionBody } from './definition-body.js';

const EXAMPLES = join('libs', 'definitions', 'examples');

/**
 * The example definitions shipped in `libs/definitions/examples/*.yaml`, parsed. Looked up
 * by walking up from this file, because it runs from `libs/definitions/src` under jest and
 * from `dist/libs/definitions/src` once built, and the YAML files are not copied to dist.
 */
export function loadExampleDefinitions(): Array<{ file: string; body: Record<string, unknown> }> {
  const folder = findExamplesFolder(dirname(fileURLToPath(import.meta.url)));
  return readdirSync(folder)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => ({ file, body: parseDefinitionBody(readFileSync(join(folder, file), 'utf8')) }));
}

function findExamplesFolder(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, EXAMPLES);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`no ${EXAMPLES} folder above ${start}`);
  }
}
