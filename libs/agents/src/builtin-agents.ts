import type { Agent } from './agent.types.js';

/**
 * Agents that live in code, for tests, demos and glue steps. They are never stored in the
 * `agents` table, so every instance knows them without a query.
 */
export const BUILTIN_PREFIX = 'builtin:';

export const BUILTIN_AGENT_NAMES = ['builtin:delay', 'builtin:echo', 'builtin:fail', 'builtin:script', 'builtin:transform'] as const;

export type BuiltinAgentName = (typeof BUILTIN_AGENT_NAMES)[number];

/** Built-ins have no rows, hence no real timestamps: the epoch marks "not stored". */
const NOT_STORED = new Date(0);

const BUILTINS: ReadonlyMap<string, Agent> = new Map(
  BUILTIN_AGENT_NAMES.map((name) => [
    name,
    // Built-ins have no capabilities on purpose: routing by capability only ever picks an
    // agent an operator registered, never a test double.
    { id: name, name, kind: 'builtin', capabilities: [], headers: {}, createdAt: NOT_STORED, updatedAt: NOT_STORED },
  ]),
);

export function isBuiltinName(name: string): boolean {
  return name.startsWith(BUILTIN_PREFIX);
}

/** The built-in agent called `name`, or undefined (also for unknown `builtin:*` names). */
export function builtinAgent(name: string): Agent | undefined {
  const agent = BUILTINS.get(name);
  return agent && { ...agent, capabilities: [], headers: {} };
}

export function builtinAgents(): Agent[] {
  return BUILTIN_AGENT_NAMES.map((name) => builtinAgent(name)!);
}
