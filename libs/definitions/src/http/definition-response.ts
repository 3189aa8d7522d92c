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
