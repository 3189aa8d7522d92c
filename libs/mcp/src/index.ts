/** The MCP tool interface: Baton's runs, definitions, approvals and agents as MCP tools at `/mcp`. */
export { McpModule, type McpModuleOptions } from './mcp.module.js';
export { SERVER_INFO as MCP_SERVER_INFO } from './mcp-server.factory.js';
