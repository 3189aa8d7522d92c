import type { Agent, AgentKind } from '../agent.types.js';

export interface AgentResponse {
  id: string;
  name: string;
  kind: AgentKind;
  url: string | null;
  capabilities: string[];
  maxConcurrency: number | null;
  timeoutSeconds: number | null;
  headers: Record<string, string>;
  /** Null for built-ins, which are not stored. */
  createdAt: string | null;
  updatedAt: string | null;
}

/** Header names whose values are credentials; matched anywhere in the name, any case. */
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|password|cookie|credential/i;

export const REDACTED = '***';

/** The API's view of an agent: credentials in headers never leave the server. */
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
    headers: redactHeaders(agent.headers),
    createdAt: builtin ? null : agent.createdAt.toISOString(),
    updatedAt: builtin ? null : agent.updatedAt.toISOString(),
  };
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([key, value]) => [key, SECRET_HEADER.test(key) ? REDACTED : value]),
  );
}
