import type { Permission, Principal } from '@baton/identity';
import type { RunActor } from '@baton/runs';

/** A JSON Schema object, as MCP carries it in `tools/list`. */
export type JsonSchema = { type: 'object'; properties?: Record<string, object>; required?: string[]; [key: string]: unknown };

/** Who is calling a tool, built once per HTTP request from the access guard's principal. */
export interface ToolCaller {
  principal: Principal;
  /** The caller as the run services see it: they check ownership again, whatever the door. */
  actor: RunActor;
}

/**
 * One MCP tool: a thin use of an existing service. `permissions` decides who sees and may call
 * it (any one of them suffices); the service it calls checks again on its own terms
 * (ownership of runs, the approvals permission), exactly as for the REST route.
 */
export interface McpTool {
  name: string;
  title: string;
  description: string;
  permissions: Permission[];
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  /** `args` has passed `inputSchema`; returns the structured result. */
  call(args: Record<string, any>, caller: ToolCaller, context: ToolContext): Promise<Record<string, unknown>>;
}

/** What a call may use besides its arguments. */
export interface ToolContext {
  /** Aborted when the client goes away or cancels the request. */
  signal: AbortSignal;
  /**
   * Reports progress as an MCP `notifications/progress`, when the client asked for it (a
   * `progressToken` in the request's `_meta`); otherwise does nothing.
   */
  progress(progress: number, total: number | undefined, message: string): Promise<void>;
}
