import { AgentRegistryService, toAgentResponse } from '@baton/agents';
import { OrchestrationDefinitionService, toDefinitionResponse, validateDefinition } from '@baton/definitions';
import type { McpTool } from './mcp-tool.js';
import { CURSOR_OUT, LIST, OBJECT, args, cursor, limit, result, text } from './schemas.js';

/** Read the catalogue: definitions and agents, and check a plan before starting it. */
export function catalogTools(definitions: OrchestrationDefinitionService, agents: AgentRegistryService): McpTool[] {
  return [
    {
      name: 'list_definitions',
      title: 'List definitions',
      description: 'The latest version of each saved definition (name, version, description, steps); page with nextCursor.',
      permissions: ['read'],
      inputSchema: args({ limit, cursor }),
      outputSchema: result({ definitions: LIST, nextCursor: CURSOR_OUT }),
      async call(a, caller) {
        // Tenancy: a bound token lists its owner's definitions and the shared ones only.
        const bound = 'anonymous' in caller.principal ? undefined : caller.principal.owner;
        const page = await definitions.list({ owners: bound === undefined ? undefined : [bound, ''], limit: a.limit, cursor: a.cursor });
        return { definitions: page.items.map(toDefinitionResponse), nextCursor: page.nextCursor ?? null };
      },
    },
    {
      name: 'get_definition',
      title: 'Get a definition',
      description: 'A saved definition by name: the latest version, or the one asked for.',
      permissions: ['read'],
      inputSchema: args({ name: text('definition name'), version: text('version; latest when absent', 100) }, ['name']),
      outputSchema: result({ definition: OBJECT }),
      async call(a) {
        const found = a.version ? await definitions.getVersion(a.name, a.version) : await definitions.getLatest(a.name);
        return { definition: toDefinitionResponse(found) };
      },
    },
    {
      name: 'validate_plan',
      title: 'Validate a plan',
      description:
        'Checks an inline plan without starting it: shape, step ids, dependencies, cycles, templates and agent names. ' +
        'Returns { valid, errors: [{ path, message }] }.',
      permissions: ['read'],
      inputSchema: args({ plan: { type: 'object', description: 'the plan, as start_run takes it' } }, ['plan']),
      outputSchema: result({ valid: { type: 'boolean' }, errors: LIST }),
      async call(a) {
        const checked = validateDefinition(a.plan, { requireNameAndVersion: false });
        const errors = checked.ok ? [] : [...checked.errors];
        const unknown = new Set(await agents.unknownAgents(checked.agents.map((use) => use.name)));
        for (const use of checked.agents) {
          if (unknown.has(use.name)) errors.push({ path: use.path, message: `agent "${use.name}" is not registered` });
        }
        return { valid: errors.length === 0, errors };
      },
    },
    {
      name: 'list_agents',
      title: 'List agents',
      description: 'Registered agents (name, kind, capabilities, limits) and the built-ins; optionally those with a capability.',
      permissions: ['read'],
      inputSchema: args({ capability: text('a capability name') }),
      outputSchema: result({ agents: LIST }),
      async call(a) {
        return { agents: (await agents.list({ capability: a.capability })).map(toAgentResponse) };
      },
    },
  ];
}

