import { isMap, isScalar, parseDocument } from 'yaml';
import { BatonError, type FieldError } from '@baton/common';

/**
 * Turns what arrived into a plain JSON object: an object as is (a JSON request), or a string
 * parsed as YAML (the app hands `application/yaml` bodies over as text). YAML errors become
 * a 400 naming the line.
 */
export function parseDefinitionBody(body: unknown): Record<string, unknown> {
  if (typeof body === 'string') return parseYamlBody(body);
  if (body === null || body === undefined) {
    throw BatonError.validation([{ path: 'body', message: 'is required: send JSON or YAML (Content-Type: application/yaml)' }]);
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw BatonError.validation([{ path: 'body', message: 'must be an object' }]);
  }
  return body as Record<string, unknown>;
}

function parseYamlBody(text: string): Record<string, unknown> {
  // Known YAML 1.1 tags (!!binary, !!timestamp, ...) would produce non-JSON values; off.
  const doc = parseDocument(text, { uniqueKeys: true, resolveKnownTags: false });
  if (doc.errors.length > 0) {
    const errors: FieldError[] = doc.errors.slice(0, 5).map((error) => ({
      path: 'body',
      message: `invalid YAML: ${error.message.split('\n')[0]!.replace(/:$/, '')}`,
    }));
    throw BatonError.validation(errors);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isMap(doc.contents) || value === null || typeof value !== 'object') {
    throw BatonError.validation([{ path: 'body', message: 'the YAML document must be a mapping (name, version, steps, ...)' }]);
  }
  const parsed = value as Record<string, unknown>;
  // `version: 1.0` would read as the number 1; keep the version exactly as written.
  const version = doc.get('version', true);
  if (isScalar(version) && typeof version.value === 'number' && version.range) {
    parsed.version = text.slice(version.range[0], version.range[1]);
  }
  return parsed;
}
