import type { Definition } from '../definition.types.js';

/**
 * What the REST API returns for a definition:
 *
 *   { id, owner, name, version, revision, description, source, contentHash, stepCount,
 *     createdAt, definition }
 *
 * `description` is null when absent, `createdAt` an ISO timestamp, `revision` a number that
 * grows with each stored version (it decides "latest"), and `definition` the body as
 * submitted (YAML arrives parsed to JSON).
 */
export interface DefinitionResponse {
  id: string;
  owner: string;
  name: string;
  version: string;
  revision: number;
  description: string | null;
  source: string;
  contentHash: string;
  stepCount: number;
  createdAt: string;
  definition: Record<string, unknown>;
}

export function toDefinitionResponse(definition: Definition): DefinitionResponse {
  return {
    id: definition.id,
    owner: definition.owner,
    name: definition.name,
    version: definition.version,
    revision: definition.revision,
    description: definition.description ?? null,
    source: definition.source,
    contentHash: definition.contentHash,
    stepCount: definition.steps.length,
    createdAt: definition.createdAt.toISOString(),
    definition: definition.body,
  };
}

/**
 * What `POST /api/v1/definitions` answers instead of the whole definition when it is large
 * (more than `SUMMARY_ABOVE_STEPS` steps) or the client sent `Prefer: return=minimal`:
 * every field of `DefinitionResponse` but `definition`, and where to read it.
 */
export interface DefinitionSummaryResponse extends Omit<DefinitionResponse, 'definition'> {
  links: { self: string; versions: string };
}

/** Echoing a 10,000-step body back costs as much as reading it; above this many steps the answer is a summary. */
export const SUMMARY_ABOVE_STEPS = 1_000;

export function toDefinitionSummary(definition: Definition): DefinitionSummaryResponse {
  const { definition: _body, ...fields } = toDefinitionResponse(definition);
  const base = `/api/v1/definitions/${encodeURIComponent(definition.name)}/versions`;
  const owner = definition.owner ? `?owner=${encodeURIComponent(definition.owner)}` : '';
  return { ...fields, links: { self: `${base}/${encodeURIComponent(definition.version)}${owner}`, versions: `${base}${owner}` } };
}

/**
 * The `return` preference of an RFC 7240 `Prefer` header (`return=minimal` or
 * `return=representation`), or undefined when none is given.
 */
export function returnPreference(prefer: string | string[] | undefined): 'minimal' | 'representation' | undefined {
  const text = Array.isArray(prefer) ? prefer.join(',') : prefer;
  if (!text) return undefined;
  for (const preference of text.split(',')) {
    const match = /^\s*return\s*=\s*"?(minimal|representation)"?\s*(;.*)?$/i.exec(preference);
    if (match) return match[1]!.toLowerCase() as 'minimal' | 'representation';
  }
  return undefined;
}
