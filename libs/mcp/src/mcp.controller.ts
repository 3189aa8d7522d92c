import { Controller, Delete, Get, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { principalOf } from '@baton/identity';
import { McpServerFactory } from './mcp-server.factory.js';

/**
 * `/mcp`: the MCP Streamable HTTP transport, stateless. Each POST carries its bearer token
 * (checked by the global access guard: any role may connect, the tools it sees depend on
 * it), so Baton keeps no MCP sessions and any instance can answer any request.
 */
@Controller('mcp')
export class McpController {
  private readonly logger = new Logger('McpController');

  constructor(@Inject(McpServerFactory) private readonly servers: McpServerFactory) {}

  @Post()
  async post(@Req() request: Request, @Res() response: Response): Promise<void> {
    const server = this.servers.create(principalOf(request));
    // No session id generator: stateless mode, one transport per request as the SDK requires.
    // Plain JSON answers, except for a call that asks for progress (a progressToken): that
    // one is answered as an SSE stream carrying its notifications/progress, then its result.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !wantsProgress(request.body) });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(request, response, request.body);
    } catch (error) {
      this.logger.error(`MCP request failed: ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent) response.status(500).json(rpcError(-32603, 'internal error'));
    }
  }

  /** No server-initiated stream and no sessions to end in stateless mode (MCP: answer 405). */
  @Get()
  get(@Res() response: Response): void {
    methodNotAllowed(response);
  }

  @Delete()
  remove(@Res() response: Response): void {
    methodNotAllowed(response);
  }
}

/** Whether the JSON-RPC body (or any message of a batch) asks for progress notifications. */
function wantsProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => typeof m === 'object' && m !== null && (m as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta?.progressToken !== undefined);
}

function methodNotAllowed(response: Response): void {
  response.status(405).set('Allow', 'POST').json(rpcError(-32000, 'method not allowed: this MCP server is stateless, use POST'));
}

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}
