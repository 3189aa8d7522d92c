import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, McpError, type ReadResourceResult, type Resource, type ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import { BatonError, assertOwnerReaches } from '@baton/common';
import { OrchestrationDefinitionService, toDefinitionResponse } from '@baton/definitions';
import { roleAllows, type Principal } from '@baton/identity';
import { RunQueryService, presentRunWithSteps } from '@baton/runs';

const JSON_TYPE = 'application/json';
const RUN_URI = /^baton:\/\/runs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const DEFINITION_URI = /^baton:\/\/definitions\/([^/]+)(?:\/versions\/([^/]+))?$/;
/** MCP's "resource not found" (the spec's -32002). */
const RESOURCE_NOT_FOUND = -32002;

/**
 * Runs and definitions as MCP resources (`baton://runs/<id>`, `baton://definitions/<name>`,
 * `baton://definitions/<name>/versions/<version>`), JSON in the REST API's shapes. Reading
 * needs the `read` permission, as the GET routes do.
 */
@Injectable()
export class McpResources {
  constructor(
    @Inject(RunQueryService) private readonly runs: RunQueryService,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
  ) {}

  readonly templates: ResourceTemplate[] = [
    { uriTemplate: 'baton://runs/{runId}', name: 'run', title: 'A run', description: 'A run with its status, progress, outputs and steps', mimeType: JSON_TYPE },
    { uriTemplate: 'baton://definitions/{name}', name: 'definition', title: 'A definition', description: 'The latest version of a saved definition', mimeType: JSON_TYPE },
    {
      uriTemplate: 'baton://definitions/{name}/versions/{version}',
      name: 'definition-version',
      title: 'A definition version',
      description: 'One stored version of a definition',
      mimeType: JSON_TYPE,
    },
  ];

  /**
   * The 50 newest runs and the latest version of each saved definition (up to 100); to a
   * token bound to an owner (tenancy), its owner's runs and its own and the shared definitions.
   */
  async list(principal: Principal): Promise<Resource[]> {
    if (!mayRead(principal)) return [];
    const bound = boundOwner(principal);
    const [runs, definitions] = await Promise.all([
      this.runs.list({ limit: 50, owner: bound }),
      this.definitions.list({ limit: 100, owners: bound === undefined ? undefined : [bound, ''] }),
    ]);
    return [
      ...runs.runs.map((run) => ({
        uri: `baton://runs/${run.id}`,
        name: `run ${run.id}`,
        title: `${run.definitionName} (${run.status})`,
        mimeType: JSON_TYPE,
      })),
      ...definitions.items.map((definition) => ({
        uri: `baton://definitions/${encodeURIComponent(definition.name)}`,
        name: definition.name,
        title: `${definition.name} ${definition.version}`,
        description: definition.description ?? undefined,
        mimeType: JSON_TYPE,
      })),
    ];
  }

  /** One resource's JSON; an unknown or malformed URI is MCP's resource-not-found error. */
  async read(uri: string, principal: Principal): Promise<ReadResourceResult> {
    if (!mayRead(principal)) throw new McpError(ErrorCode.InvalidRequest, 'forbidden: this token may not read resources (it needs read)');
    try {
      return { contents: [{ uri, mimeType: JSON_TYPE, text: JSON.stringify(await this.fetch(uri, boundOwner(principal))) }] };
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'not_found') throw new McpError(RESOURCE_NOT_FOUND, error.message, { uri });
      throw error;
    }
  }

  /** `bound`: another owner's run is not found (tenancy); definitions read are the shared ones. */
  private async fetch(uri: string, bound: string | undefined): Promise<unknown> {
    const run = RUN_URI.exec(uri);
    if (run) {
      const found = await this.runs.get(run[1]!);
      assertOwnerReaches(bound, found.owner, 'run', run[1]!);
      return presentRunWithSteps(found);
    }
    const definition = DEFINITION_URI.exec(uri);
    if (definition) {
      const name = decodeURIComponent(definition[1]!);
      const found = definition[2] ? await this.definitions.getVersion(name, decodeURIComponent(definition[2])) : await this.definitions.getLatest(name);
      return toDefinitionResponse(found);
    }
    throw new McpError(RESOURCE_NOT_FOUND, `no resource at ${uri} (baton://runs/<id> or baton://definitions/<name>[/versions/<version>])`, { uri });
  }
}

function boundOwner(principal: Principal): string | undefined {
  return 'anonymous' in principal ? undefined : principal.owner;
}

function mayRead(principal: Principal): boolean {
  return 'anonymous' in principal || roleAllows(principal.role, 'read');
}
