/**
 * Multi-agent patterns (`type: pattern` steps): a team of agents that decide, turn by turn,
 * where the work goes next. The normalized form; docs/patterns.md describes each contract.
 */

/** The built-in patterns. */
export const PATTERN_NAMES = ['supervisor', 'handoff', 'swarm', 'network', 'sequential', 'concurrent', 'group_chat'] as const;

export type PatternName = (typeof PATTERN_NAMES)[number];

/** What a pattern does when `max_turns` turns were taken and it has not finished. */
export type OnMaxTurns = 'fail' | 'complete';

/** A person in the team: their turn is an approval whose answer is the turn's output. */
export interface HumanParticipant {
  prompt?: string;
  timeoutSeconds?: number;
}

/**
 * One member of the team: a name the others use, and who answers for it: exactly one of an
 * agent, a capability, a child definition, a nested team or a person.
 */
export interface PatternParticipant {
  name: string;
  /** A registered agent or `builtin:<name>`; absent when `capability` is given. */
  agent?: string;
  /** Resolved by the agent router at run time, like a step's `capability`. */
  capability?: string;
  /** A definition run as a child run for each of this member's turns (its output is the turn's). */
  definition?: { name: string; version?: string; owner?: string };
  /** A nested team (the keys of a pattern step, as written); run as a child run. */
  team?: Record<string, unknown>;
  /** The nested team, read. */
  teamSpec?: PatternSpec;
  human?: HumanParticipant;
  /** Shown to the agents that pick the next speaker (supervisor, selector). */
  description?: string;
  /** Agent settings; `builtin:script` reads its `items` from here. */
  settings?: Record<string, unknown>;
}

/** The definition a custom pattern's steps are stored as. */
export function customPatternDefinition(name: string): string {
  return `pattern.${name}`;
}

export interface PatternSpec {
  /** A built-in pattern, or the name of a custom one (then `custom` is set). */
  name: PatternName | (string & {});
  /** A custom pattern (POST /api/v1/patterns): its settings, checked against its schema when stored. */
  custom?: { settings: Record<string, unknown> };
  maxTurns: number;
  onMaxTurns: OnMaxTurns;
  agents: PatternParticipant[];
  /** supervisor: the participant that decides (default: the first). */
  supervisor?: string;
  /** handoff, swarm, network: who speaks first (default: the first). */
  start?: string;
  /** handoff, swarm: who may hand off to whom; absent means anyone to anyone. */
  routes?: Record<string, string[]>;
  /** swarm: the field of the pattern's input that names the thread. */
  thread?: string;
  /** network: the shared state the first turn sees. */
  state?: Record<string, unknown>;
  /** concurrent: the participant that merges the others' results. */
  aggregator?: string;
  /** group_chat: the participant that picks the next speaker (default: round-robin). */
  selector?: string;
  /** group_chat: a CEL condition over the transcript that ends the chat. */
  until?: string;
}
