import { Inject, Injectable, Logger } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { BatonError, type FieldError } from '@baton/common';
import { roleAllows, type Principal } from '@baton/identity';
import { McpResources } from './mcp-resources.service.js';
import { McpToolbox } from './mcp-toolbox.service.js';
import type { McpTool, ToolContext } from './tools/mcp-tool.js';
import { callerOf, mayUse } from './tools/tool-access.js';
import { checkArguments } from './tools/tool-arguments.js';

export const SERVER_INFO = { name: 'baton', version: '0.1.0' };

/**
 * Builds the MCP server for one caller. The transport is stateless (a server per HTTP
 * request), so the caller is fixed for the server's life and `tools/list` is simply the
 * tools its role may use; `tools/call` checks that again before the tool's service runs.
 */
@Injectable()
export class McpServerFactory {
  private readonly logger = new Logger('McpServer');

  constructor(
    @Inject(McpToolbox) private readonly toolbox: McpToolbox,
    @Inject(McpResources) private readonly resources: McpResources,
  ) {}

  create(principal: Principal): Server {
    const server = new Server(SERVER_INFO, {
      capabilities: { tools: { listChanged: false }, resources: { listChanged: false, subscribe: false } },
      instructions:
        'Baton orchestrates multi-agent runs: list definitions, start a run, follow it with wait_for_run (progress notifications) ' +
        'or get_run, decide approvals, manage schedules, send messages. Runs and definitions are also resources (baton://runs/<id>).',
    });
    const caller = callerOf(principal);
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: this.toolbox.tools.filter((tool) => mayUse(tool, principal)).map(describe),
    }));
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await this.resources.list(principal) }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: 'anonymous' in principal || mayRead(principal) ? this.resources.templates : [] }));
    server.setRequestHandler(ReadResourceRequestSchema, async (request) => this.resources.read(request.params.uri, principal));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
      const tool = this.toolbox.find(request.params.name);
      if (!tool) return toolError(new BatonError('not_found', `no tool named ${request.params.name}`));
      if (!mayUse(tool, principal)) return toolError(refusal(tool, principal));
      try {
        const args = checkArguments(tool, request.params.arguments);
        const progressToken = request.params._meta?.progressToken;
        const context: ToolContext = {
          signal: extra.signal,
          progress: async (progress, total, message) => {
            if (progressToken === undefined) return;
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, ...(total !== undefined ? { total } : {}), message } });
          },
        };
        const structured = await tool.call(args, caller, context);
        return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
      } catch (error) {
        if (error instanceof BatonError) return toolError(error);
        this.logger.error(`tool ${tool.name} failed: ${(error as Error).stack ?? String(error)}`);
        return toolError(new BatonError('unavailable', `tool ${tool.name} failed unexpectedly; see the server log`));
      }
    });
    return server;
  }
}

function mayRead(principal: Principal): boolean {
  return 'anonymous' in principal || roleAllows(principal.role, 'read');
}

function describe(tool: McpTool): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
  };
}

function refusal(tool: McpTool, principal: Principal): BatonError {
  const who = 'anonymous' in principal ? 'anonymous' : `token ${principal.name} (${principal.role})`;
  return new BatonError('forbidden', `${who} may not call ${tool.name}: it needs ${tool.permissions.join(' or ')}`);
}

/**
 * A failed call as MCP's tool error (`isError`), not a JSON-RPC error: the model reads the
 * message and can correct its arguments. The text starts with the error kind; validation
 * errors name each field (`runId: must match format "uuid"`).
 */
export function toolError(error: BatonError): CallToolResult {
  const fields = error.kind === 'validation' && Array.isArray(error.details) ? (error.details as FieldError[]) : [];
  const text = fields.length > 0 ? fields.map((field) => `${field.path}: ${field.message}`).join('; ') : error.message;
  return { isError: true, content: [{ type: 'text', text: `${error.kind}: ${text}` }] };
}
