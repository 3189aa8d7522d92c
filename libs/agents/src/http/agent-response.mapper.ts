import type { Agent, AgentKind } from '../agent.types.js';

export interface AgentResponse {
  id: string;
  name: string;
  kind: AgentKind;
  url: string | null;
  capabilities: string[];
  maxConcurrency: number | null;
  timeoutSeconds: number | null;
  /** The names of the configured headers; their values never leave the server. */
  headers: string[];
  /** Origins besides `url`'s that receive the headers. */
  trustedOrigins: string[];
  /** The registered circuit breaker settings (null: the defaults). */
  breaker: { failure_threshold?: number; reset_seconds?: number; half_open_max_calls?: number } | null;
  /** Null for built-ins, which are not stored. */
  createdAt: string | null;
  updatedAt: string | null;
}

/**
 * The API's view of an agent. Header values are never shown, to any role: which header
 * carries a credential cannot be told from its name (`x-auth-key`, `private-key`,
 * `ocp-apim-subscription-key`...), so none is trusted to be harmless.
 */
export function toAgentResponse(agent: Agent): AgentResponse {
  const builtin = agent.kind === 'builtin';
  return {
    id: agent.id,
    name: agent.name,
    kind: agent.kind,
    url: agent.url ?? null,
    capabilities: agent.capabilities,
    maxConcurrency: agent.maxConcurrency ?? null,
    timeoutSeconds: agent.timeoutSeconds ?? null,
    // Sorted: jsonb does not keep the order they were given in.
    headers: [...Object.keys(agent.headers), ...(agent.unreadableHeaders ?? [])].sort((a, b) => a.localeCompare(b)),
    trustedOrigins: agent.trustedOrigins ?? [],
    breaker: agent.breaker
      ? { failure_threshold: agent.breaker.failureThreshold, reset_seconds: agent.breaker.resetSeconds, half_open_max_calls: agent.breaker.halfOpenMaxCalls }
      : null,
    createdAt: builtin ? null : agent.createdAt.toISOString(),
    updatedAt: builtin ? null : agent.updatedAt.toISOString(),
  };
}
