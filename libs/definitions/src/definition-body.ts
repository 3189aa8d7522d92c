import { isMap, isScalar, parseDocument } from 'yaml';
import { BatonError, findHostileInput, rememberClean, type FieldError } from '@baton/common';

/** What a definition body may cost: YAML aliases, nesting, and its size once aliases expand. */
export interface DefinitionBodyLimits {
  maxYamlAliases: number;
  maxDepth: number;
  /** Characters of the body as JSON, after YAML aliases are expanded. */
  maxExpandedLength: number;
}

export const DEFAULT_BODY_LIMITS: DefinitionBodyLimits = { maxYamlAliases: 100, maxDepth: 64, maxExpandedLength: 10 * 1024 * 1024 };

/**
 * Turns what arrived into a plain JSON object: an object as is (a JSON request), or a string
 * parsed as YAML (the app hands `application/yaml` bodies over as text). YAML errors become
 * a 400 naming the line.
 */
export function parseDefinitionBody(body: unknown, limits: DefinitionBodyLimits = DEFAULT_BODY_LIMITS): Record<string, unknown> {
  if (typeof body === 'string') return parseYamlBody(body, limits);
  if (body === null || body === undefined) {
    throw BatonError.validation([{ path: 'body', message: 'is required: send JSON or YAML (Content-Type: application/yaml)' }]);
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw BatonError.validation([{ path: 'body', message: 'must be an object' }]);
  }
  return body as Record<string, unknown>;
}

function parseYamlBody(text: string, limits: DefinitionBodyLimits): Record<string, unknown> {
  // Known YAML 1.1 tags (!!binary, !!timestamp, ...) would produce non-JSON values; off.
  const doc = parseDocument(text, { uniqueKeys: true, resolveKnownTags: false });
  if (doc.errors.length > 0) {
    const errors: FieldError[] = doc.errors.slice(0, 5).map((error) => ({
      path: 'body',
      message: `invalid YAML: ${error.message.split('\n')[0]!.replace(/:$/, '')}`,
    }));
    throw BatonError.validation(errors);
  }
  const value = expand(doc, limits);
  if (!isMap(doc.contents) || value === null || typeof value !== 'object') {
    throw BatonError.validation([{ path: 'body', message: 'the YAML document must be a mapping (name, version, steps, ...)' }]);
  }
  const parsed = value as Record<string, unknown>;
  // Aliases make a graph of a tree: a self-alias is a cycle (caught as too deep), and a few
  // small anchors can expand to megabytes.
  const hostile = findHostileInput(parsed, { maxDepth: limits.maxDepth });
  if (hostile) throw BatonError.validation([hostile]);
  // The service checks whatever door a body came through; this one need not be walked twice
  // (the `version` text set below is a number's digits).
  rememberClean(parsed, { maxDepth: limits.maxDepth });
  const length = JSON.stringify(parsed).length;
  if (length > limits.maxExpandedLength) {
    throw BatonError.validation([{ path: 'body', message: `expands to ${length} characters of JSON, more than the ${limits.maxExpandedLength} allowed` }]);
  }
  // `version: 1.0` would read as the number 1; keep the version exactly as written.
  const version = doc.get('version', true);
  if (isScalar(version) && typeof version.value === 'number' && version.range) {
    parsed.version = text.slice(version.range[0], version.range[1]);
  }
  return parsed;
}

/** `toJS` with the alias budget; alias bombs and undefined aliases become a 400. */
function expand(doc: ReturnType<typeof parseDocument>, limits: DefinitionBodyLimits): unknown {
  try {
    return doc.toJS({ maxAliasCount: limits.maxYamlAliases });
  } catch (error) {
    if (!(error instanceof ReferenceError) && !(error instanceof RangeError)) throw error;
    const reason = error.message.startsWith('Excessive alias count')
      ? `uses aliases more than ${limits.maxYamlAliases} times once expanded (an alias bomb?)`
      : limits.maxYamlAliases === 0 && error.message.startsWith('Alias resolution is disabled')
        ? 'uses aliases, which are turned off (BATON_MAX_YAML_ALIASES=0)'
        : `invalid YAML: ${error.message.split('\n')[0]!.slice(0, 200)}`;
    throw BatonError.validation([{ path: 'body', message: reason }]);
  }
}
