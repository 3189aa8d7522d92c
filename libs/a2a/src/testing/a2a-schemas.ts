import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

/**
 * Test-only: validators for the A2A JSON schemas kept in `./schemas` (see its README; override
 * with A2A_SCHEMAS_DIR). The v1.0 file names its `$ref`s like `lf.a2a.v1.Task.jsonschema.json`;
 * they are remapped to its own definitions (keyed `Task Status` for `TaskStatus`).
 */
const DIR = process.env.A2A_SCHEMAS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'schemas');
const DATE_TIME = (value: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));

let v03: Ajv | undefined;
let v10: { ajv: Ajv2020; keys: Map<string, string> } | undefined;

/** Checks `value` against a v0.3 definition (`Task`, `AgentCard`, `TaskStatusUpdateEvent`, ...); returns the errors. */
export function checkV03(definition: string, value: unknown): string[] {
  if (!v03) {
    v03 = new Ajv({ strict: false, allErrors: true });
    v03.addFormat('date-time', DATE_TIME);
    v03.addSchema(JSON.parse(readFileSync(join(DIR, 'a2a-v0.3.0.json'), 'utf8')), 'a2a-v03');
  }
  return errorsOf(v03.compile({ $ref: `a2a-v03#/definitions/${definition}` }), value);
}

/** Checks `value` against a v1.0 message (`Task`, `AgentCard`, `StreamResponse`, ...); returns the errors. */
export function checkV10(message: string, value: unknown): string[] {
  const { ajv, keys } = (v10 ??= loadV10());
  const key = keys.get(message);
  if (!key) throw new Error(`no v1.0 definition for ${message}`);
  return errorsOf(ajv.getSchema(`a2a-v10#/$defs/${encodeURIComponent(key)}`)!, value);
}

function loadV10(): { ajv: Ajv2020; keys: Map<string, string> } {
  const file = JSON.parse(readFileSync(join(DIR, 'a2a-v1.0.json'), 'utf8')) as { definitions: Record<string, Record<string, unknown>> };
  // `Task Status` → TaskStatus; google.protobuf.* are the first three (`Struct`, ...).
  const keys = new Map(Object.keys(file.definitions).map((key) => [key.replace(/ /g, ''), key]));
  const remap = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(remap);
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node)) {
      if (name === '$schema') continue;
      if (name === '$ref' && typeof value === 'string') {
        const message = /^(?:lf\.a2a\.v1|google\.protobuf)\.(\w+)\.jsonschema\.json$/.exec(value)?.[1];
        const key = message && keys.get(message);
        if (!key) throw new Error(`unmapped $ref ${value}`);
        out.$ref = `#/$defs/${encodeURIComponent(key)}`;
      } else {
        out[name] = remap(value);
      }
    }
    return out;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', DATE_TIME);
  ajv.addSchema({ $id: 'a2a-v10', $defs: remap(file.definitions) }, 'a2a-v10');
  return { ajv, keys };
}

function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}
