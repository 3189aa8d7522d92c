import type { PatternName } from '../pattern.types.js';

/** A pattern as `GET /api/v1/patterns` lists it: what it is for and the settings it reads. */
export interface PatternDescription {
  name: string;
  kind: 'builtin' | 'custom';
  description: string;
  /** JSON Schema of the step keys (built-in) or of `settings` (custom). */
  settings: Record<string, unknown>;
  version?: string;
}

const participant = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    agent: { type: 'string' },
    capability: { type: 'string' },
    definition: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, owner: { type: 'string' } } },
    team: { type: 'object', description: 'a nested pattern (the keys of a pattern step)' },
    human: { type: 'object', properties: { prompt: { type: 'string' }, timeout_seconds: { type: 'integer', minimum: 1 } } },
    description: { type: 'string' },
    settings: { type: 'object' },
  },
};
const name = { type: 'string', description: 'the name of a member of the team' };

function schema(extra: Record<string, unknown>, required: string[] = []): Record<string, unknown> {
  return {
    type: 'object',
    required: ['pattern', 'max_turns', 'agents', ...required],
    properties: {
      max_turns: { type: 'integer', minimum: 1 },
      on_max_turns: { enum: ['fail', 'complete'], default: 'fail' },
      agents: { type: 'array', items: participant },
      ...extra,
    },
  };
}

const routes = { type: 'object', additionalProperties: { type: 'array', items: name }, description: 'who may hand off to whom; absent: anyone to anyone' };

/** The built-in patterns, in the order docs/patterns.md describes them. */
export const BUILTIN_PATTERN_CATALOG: ReadonlyArray<PatternDescription & { name: PatternName }> = [
  { name: 'supervisor', kind: 'builtin', description: 'A supervisor picks the next worker ({ next, input?, output? }) until FINISH; workers may be agents, teams, definitions or people (hierarchical).', settings: schema({ supervisor: { ...name, description: 'default: the first agent' } }) },
  { name: 'handoff', kind: 'builtin', description: 'The active agent answers { handoff: { to, input?, reason? } } or { final }; routes limit who may hand off to whom.', settings: schema({ start: name, routes }) },
  { name: 'swarm', kind: 'builtin', description: 'Handoff whose active agent and history are remembered per thread, so the next run of the thread resumes with the agent that spoke last.', settings: schema({ start: name, routes, thread: { type: 'string', description: 'the input field naming the thread' } }, ['thread']) },
  { name: 'network', kind: 'builtin', description: 'Any agent may pass to any other; agents share a state object ({ state_patch, next | final }).', settings: schema({ start: name, state: { type: 'object' } }) },
  { name: 'sequential', kind: 'builtin', description: 'The agents in order, each on the previous output.', settings: schema({}) },
  { name: 'concurrent', kind: 'builtin', description: 'All agents on the same input at once; an optional aggregator merges their results.', settings: schema({ aggregator: name }) },
  { name: 'group_chat', kind: 'builtin', description: 'A shared transcript; a selector agent or round-robin picks the next speaker; until (CEL) ends it.', settings: schema({ selector: name, until: { type: 'string', description: 'CEL over task, transcript, last, turn' } }) },
];
