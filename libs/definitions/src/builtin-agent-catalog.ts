import { Injectable } from '@nestjs/common';
import { AgentCatalog } from './definition.types.js';

export const BUILTIN_AGENT_NAMES = ['builtin:echo', 'builtin:delay', 'builtin:fail', 'builtin:transform', 'builtin:script'] as const;

/**
 * The catalog used when the app supplies none: only the built-in agents exist. Lets this
 * library run (and be tested) without the agents library, which it must never import.
 */
@Injectable()
export class BuiltinAgentCatalog extends AgentCatalog {
  async unknownAgents(names: string[]): Promise<string[]> {
    const known = new Set<string>(BUILTIN_AGENT_NAMES);
    return names.filter((name) => !known.has(name));
  }
}
