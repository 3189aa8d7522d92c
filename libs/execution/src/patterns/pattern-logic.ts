import type { PatternParticipant, PatternSpec } from '@baton/definitions';
import { StepFailure } from '../executor/step-failure.js';

/** One agent call a pattern asks for: `agent` is the participant's name in the team. */
export interface TurnCall {
  agent: string;
  input: unknown;
}

/** What a pattern does next: call agents (in parallel when more than one), or finish. */
export type Move = { calls: TurnCall[] } | { finish: unknown };

/** A turn's result as the pattern records it. */
export interface TurnResult {
  agent: string;
  output: unknown;
}

/** An entry of the shared history agents see. */
export interface HistoryEntry {
  agent: string;
  input?: unknown;
  output: unknown;
}

/** A swarm thread: who spoke last and what was said, carried from run to run. */
export interface ThreadState {
  activeAgent: string | null;
  history: HistoryEntry[];
}

/** What a pattern starts from besides its spec and task. */
export interface PatternSeed {
  thread?: ThreadState;
  /** group_chat `until`: true ends the chat (compiled by the step). */
  until?: (context: Record<string, unknown>) => boolean;
}

/**
 * One execution of a pattern as a pure state machine: `next()` says what to do, `record()`
 * takes the outputs of the calls it asked for. Given the same spec, task, seed and outputs
 * it asks for the same calls, which is what lets a coordinator claimed again after a crash
 * replay its completed turns from the database instead of calling the agents again.
 * An answer that breaks the pattern's contract throws a non-retryable StepFailure.
 */
export interface PatternRun {
  next(): Move;
  record(results: TurnResult[]): void;
  /** The output when `max_turns` ends it and `on_max_turns` is `complete`. */
  partial(): unknown;
  /** swarm: the thread to remember for the next run. */
  thread?(): ThreadState;
}

/** A pattern's answer did not follow its contract: not worth retrying. */
export function contractError(message: string, details?: unknown): StepFailure {
  return new StepFailure(message, false, 'pattern_contract', details);
}

export function asAnswer(agent: string, output: unknown, shape: string): Record<string, unknown> {
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    throw contractError(`agent "${agent}" must answer an object ${shape}, got ${output === null ? 'null' : Array.isArray(output) ? 'a list' : typeof output}`);
  }
  return output as Record<string, unknown>;
}

/** The team as agents see it: names and descriptions. */
export function roster(agents: PatternParticipant[]): Array<{ name: string; description?: string }> {
  return agents.map((a) => (a.description ? { name: a.name, description: a.description } : { name: a.name }));
}

export function names(agents: PatternParticipant[]): string {
  return agents.map((a) => a.name).join(', ');
}

export type PatternFactory = (spec: PatternSpec, task: unknown, seed: PatternSeed) => PatternRun;
