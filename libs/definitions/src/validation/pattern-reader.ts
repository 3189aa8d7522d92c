import { compileExpression } from '../expressions/index.js';
import { PATTERN_NAMES, customPatternDefinition, type PatternName, type PatternParticipant, type PatternSpec } from '../pattern.types.js';
import { Issues, child, describe, isObject, readInteger, readObject, readString, type Json } from './field-reader.js';

/** Step keys a `type: pattern` step may carry besides the common ones. */
export const PATTERN_STEP_KEYS = [
  'pattern', 'agents', 'max_turns', 'on_max_turns', 'supervisor', 'start', 'routes', 'thread', 'state', 'aggregator', 'selector', 'until',
  'settings',
] as const;

/** Which of the optional settings each pattern reads; any other is refused at its path. */
const SETTINGS: Record<PatternName, readonly string[]> = {
  supervisor: ['supervisor'],
  handoff: ['start', 'routes'],
  swarm: ['start', 'routes', 'thread'],
  network: ['start', 'state'],
  sequential: [],
  concurrent: ['aggregator'],
  group_chat: ['selector', 'until'],
};
const COMMON = ['pattern', 'agents', 'max_turns', 'on_max_turns'];
const PARTICIPANT_KEYS = ['name', 'agent', 'capability', 'definition', 'team', 'human', 'description', 'settings'] as const;
/** Who may answer for a participant; exactly one is given. */
const MEMBER_KINDS = ['agent', 'capability', 'definition', 'team', 'human'] as const;
/** Teams inside teams inside teams: deeper than this is refused (child runs are bounded too, by BATON_MAX_RUN_DEPTH). */
export const MAX_TEAM_NESTING = 3;
const NAME_RULE = { required: true, pattern: /^[A-Za-z_][A-Za-z0-9_-]*$/, patternHint: 'letters, digits, _ and -, not starting with a digit or -', maxLength: 128 };
/** A team that needs more members than this is a definition, not a pattern step. */
const MAX_PARTICIPANTS = 64;
/** `FINISH` ends a supervisor's or selector's loop, so no participant may be called that. */
export const FINISH = 'FINISH';

/**
 * Reads the pattern keys of a step (`path`: the step; the team is at `agentsPath`). Every
 * problem is reported at its own path: unknown pattern, missing `max_turns`, a setting the
 * pattern does not read, a worker or route naming someone not in the team.
 */
export function readPattern(obj: Json, path: string, issues: Issues, agentsPath = child(path, 'agents'), depth = 0): PatternSpec | undefined {
  const name = readString(obj, 'pattern', path, issues, { required: true });
  if (name !== undefined && !PATTERN_NAMES.includes(name as PatternName)) return readCustom(obj, name, path, issues);
  const known = PATTERN_NAMES.includes(name as PatternName) ? (name as PatternName) : undefined;
  const maxTurns = readInteger(obj, 'max_turns', path, issues);
  if (obj.max_turns === undefined) issues.add(child(path, 'max_turns'), 'is required for a pattern (a positive integer: the most agent turns it may take)');
  const onMaxTurns = readString(obj, 'on_max_turns', path, issues);
  if (onMaxTurns !== undefined && onMaxTurns !== 'fail' && onMaxTurns !== 'complete') {
    issues.add(child(path, 'on_max_turns'), `must be fail or complete, got "${onMaxTurns}"`);
  }
  const agents = readParticipants(obj.agents, agentsPath, issues, depth);
  if (!known) return undefined;
  const allowed = new Set([...COMMON, ...SETTINGS[known]]);
  for (const key of PATTERN_STEP_KEYS) {
    if (obj[key] !== undefined && !allowed.has(key)) issues.add(child(path, key), `is not a setting of the ${known} pattern`);
  }
  const spec: PatternSpec = { name: known, maxTurns: maxTurns ?? 1, onMaxTurns: onMaxTurns === 'complete' ? 'complete' : 'fail', agents };
  const names = new Set(agents.map((a) => a.name));
  const member = (key: 'supervisor' | 'start' | 'aggregator' | 'selector'): void => {
    const value = readString(obj, key, path, issues);
    if (value === undefined) return;
    if (!names.has(value)) issues.add(child(path, key), `"${value}" is not in the team (${[...names].join(', ') || 'no agents'})`);
    else spec[key] = value;
  };
  member('supervisor');
  member('start');
  member('aggregator');
  member('selector');
  if (obj.routes !== undefined) spec.routes = readRoutes(obj.routes, child(path, 'routes'), names, issues);
  if (obj.thread !== undefined) spec.thread = readString(obj, 'thread', path, issues, { maxLength: 200 });
  if (known === 'swarm' && obj.thread === undefined) issues.add(child(path, 'thread'), 'is required for a swarm (the input field that names the conversation)');
  if (obj.state !== undefined) {
    if (isObject(obj.state)) spec.state = obj.state;
    else issues.add(child(path, 'state'), `must be an object, got ${describe(obj.state)}`);
  }
  if (obj.until !== undefined) spec.until = readUntil(obj, path, issues);
  checkTeamSize(known, agents, agentsPath, issues);
  return spec;
}

/**
 * A name that is not built in is a custom pattern's (POST /api/v1/patterns); whether one is
 * registered, and whether `settings` fit its schema, is checked by the definitions service
 * before anything is stored. Its one turn runs the pattern's definition as a child run.
 */
function readCustom(obj: Json, name: string, path: string, issues: Issues): PatternSpec | undefined {
  if (!NAME_RULE.pattern.test(name)) return void issues.add(child(path, 'pattern'), `unknown pattern "${name}" (known: ${PATTERN_NAMES.join(', ')}, or a custom pattern's name)`);
  for (const key of PATTERN_STEP_KEYS) {
    if (obj[key] !== undefined && !['pattern', 'settings', 'max_turns'].includes(key)) issues.add(child(path, key), `is not a setting of a custom pattern (give its settings in settings)`);
  }
  if (obj.max_turns !== undefined) readInteger(obj, 'max_turns', path, issues);
  if (obj.settings !== undefined && !isObject(obj.settings)) issues.add(child(path, 'settings'), `must be an object, got ${describe(obj.settings)}`);
  const settings = isObject(obj.settings) ? obj.settings : {};
  return {
    name,
    custom: { settings },
    maxTurns: typeof obj.max_turns === 'number' ? obj.max_turns : 1,
    onMaxTurns: 'fail',
    agents: [{ name, definition: { name: customPatternDefinition(name), owner: '' } }],
  };
}

/** What a group chat's `until` may name: the task, the transcript so far, its last message, the turn. */
export const CHAT_UNTIL_VARIABLES = ['input', 'task', 'transcript', 'history', 'last', 'turn'] as const;

function readUntil(obj: Json, path: string, issues: Issues): string | undefined {
  const source = readString(obj, 'until', path, issues);
  if (source === undefined) return undefined;
  const compiled = compileExpression(source, child(path, 'until'), CHAT_UNTIL_VARIABLES, { boolean: true });
  if (!compiled.ok) return void issues.add(compiled.error.path, compiled.error.message);
  return source;
}

function readParticipants(value: unknown, path: string, issues: Issues, depth: number): PatternParticipant[] {
  if (!Array.isArray(value)) {
    issues.add(path, value === undefined ? 'is required (the team: a list of { name, agent })' : `must be a list, got ${describe(value)}`);
    return [];
  }
  if (value.length > MAX_PARTICIPANTS) {
    issues.add(path, `has ${value.length} agents, more than ${MAX_PARTICIPANTS}`);
    return [];
  }
  const seen = new Set<string>();
  const result: PatternParticipant[] = [];
  value.forEach((element, index) => {
    const at = child(path, index);
    const obj = readObject(element, at, issues, PARTICIPANT_KEYS);
    if (!obj) return;
    const name = readString(obj, 'name', at, issues, NAME_RULE);
    const agent = readString(obj, 'agent', at, issues, { maxLength: 200 });
    const capability = readString(obj, 'capability', at, issues, { maxLength: 200 });
    const description = readString(obj, 'description', at, issues, { maxLength: 2000 });
    const kinds = MEMBER_KINDS.filter((kind) => obj[kind] !== undefined);
    if (kinds.length === 0) issues.add(child(at, 'agent'), 'is required (or give capability, definition, team or human)');
    if (kinds.length > 1) issues.add(child(at, kinds[1]!), `cannot be combined with ${kinds[0]}; give exactly one of ${MEMBER_KINDS.join(', ')}`);
    const member = readMember(obj, at, issues, depth);
    if (obj.settings !== undefined && !isObject(obj.settings)) issues.add(child(at, 'settings'), `must be an object, got ${describe(obj.settings)}`);
    if (name === undefined) return;
    if (name === FINISH) return void issues.add(child(at, 'name'), `"${FINISH}" is reserved: it ends the pattern`);
    if (seen.has(name)) return void issues.add(child(at, 'name'), `duplicate agent name "${name}"`);
    seen.add(name);
    const participant: PatternParticipant = { name };
    if (agent !== undefined) participant.agent = agent;
    if (capability !== undefined) participant.capability = capability;
    Object.assign(participant, member);
    if (description !== undefined) participant.description = description;
    if (isObject(obj.settings)) participant.settings = obj.settings;
    result.push(participant);
  });
  return result;
}

function readMember(obj: Json, at: string, issues: Issues, depth: number): Partial<PatternParticipant> {
  if (obj.definition !== undefined) {
    const ref = readObject(obj.definition, child(at, 'definition'), issues, ['name', 'version', 'owner']);
    if (!ref) return {};
    const name = readString(ref, 'name', child(at, 'definition'), issues, { required: true, maxLength: 128 });
    const version = typeof ref.version === 'number' ? String(ref.version) : readString(ref, 'version', child(at, 'definition'), issues, { maxLength: 64 });
    const owner = readString(ref, 'owner', child(at, 'definition'), issues, { maxLength: 128 });
    if (name === undefined) return {};
    return { definition: { name, ...(version !== undefined && { version }), ...(owner !== undefined && { owner }) } };
  }
  if (obj.team !== undefined) {
    const path = child(at, 'team');
    if (depth + 1 >= MAX_TEAM_NESTING) {
      issues.add(path, `teams may nest at most ${MAX_TEAM_NESTING} deep`);
      return {};
    }
    const team = readObject(obj.team, path, issues, PATTERN_STEP_KEYS);
    const teamSpec = team ? readPattern(team, path, issues, child(path, 'agents'), depth + 1) : undefined;
    return team && teamSpec ? { team, teamSpec } : {};
  }
  if (obj.human !== undefined) {
    const path = child(at, 'human');
    const human = readObject(obj.human, path, issues, ['prompt', 'timeout_seconds']);
    if (!human) return {};
    const prompt = readString(human, 'prompt', path, issues, { maxLength: 4000 });
    const timeoutSeconds = readInteger(human, 'timeout_seconds', path, issues);
    return { human: { ...(prompt !== undefined && { prompt }), ...(timeoutSeconds !== undefined && { timeoutSeconds }) } };
  }
  return {};
}

function readRoutes(value: unknown, path: string, names: Set<string>, issues: Issues): Record<string, string[]> | undefined {
  if (!isObject(value)) return void issues.add(path, `must be an object of agent → list of agents, got ${describe(value)}`);
  const routes: Record<string, string[]> = {};
  for (const [from, targets] of Object.entries(value)) {
    const at = child(path, from);
    if (!names.has(from)) issues.add(at, `"${from}" is not in the team`);
    if (!Array.isArray(targets)) {
      issues.add(at, `must be a list of agent names, got ${describe(targets)}`);
      continue;
    }
    routes[from] = [];
    targets.forEach((to: unknown, i: number) => {
      if (typeof to !== 'string') issues.add(child(at, i), `must be an agent name, got ${describe(to)}`);
      else if (!names.has(to)) issues.add(child(at, i), `route to unknown agent "${to}" (the team: ${[...names].join(', ')})`);
      else routes[from]!.push(to);
    });
  }
  return routes;
}

function checkTeamSize(name: PatternName, agents: PatternParticipant[], path: string, issues: Issues): void {
  const least = name === 'supervisor' ? 2 : 1;
  if (agents.length > 0 && agents.length < least) issues.add(path, `a ${name} needs at least ${least} agents`);
}

/** The agents a pattern step names, with their paths, for the registry check. */
export function patternAgentUses(spec: PatternSpec | undefined, agentsPath: string): Array<{ name: string; path: string }> {
  if (!spec) return [];
  return spec.agents.flatMap((a, i) => {
    if (a.agent) return [{ name: a.agent, path: `${agentsPath}[${i}].agent` }];
    return patternAgentUses(a.teamSpec, `${agentsPath}[${i}].team.agents`);
  });
}
