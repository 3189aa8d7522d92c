import { principalLabel, principalTokenId, roleAllows, type Principal } from '@baton/identity';
import type { RunActor } from '@baton/runs';
import type { McpTool, ToolCaller } from './mcp-tool.js';

/** Whether `principal` sees and may call `tool`: auth off sees everything, as on REST. */
export function mayUse(tool: McpTool, principal: Principal): boolean {
  if ('anonymous' in principal) return true;
  return tool.permissions.some((permission) => roleAllows(principal.role, permission));
}

/** The caller of one MCP request. */
export function callerOf(principal: Principal): ToolCaller {
  return { principal, actor: actorOf(principal) };
}

function actorOf(principal: Principal): RunActor {
  if ('anonymous' in principal) return { anonymous: true };
  return { tokenId: principalTokenId(principal) ?? principalLabel(principal), name: principal.name, controlsAnyRun: roleAllows(principal.role, 'runs.control') };
}
