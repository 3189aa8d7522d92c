import type { FieldError } from '@baton/common';
import type { ReadWorkflow } from './read-workflow.js';
import type { Translation } from './workflow.types.js';

/**
 * Agent-team patterns and the Baton pattern each becomes (docs/patterns.md). `hierarchical`
 * is a supervisor: a workflow's flat agent list cannot nest teams (a Baton definition can).
 */
export const TEAM_PATTERNS: Readonly<Record<string, string>> = {
  supervisor: 'supervisor',
  hierarchical: 'supervisor',
  handoff: 'handoff',
  swarm: 'swarm',
  network: 'network',
  group_chat: 'group_chat',
};

/** The id of the one step a team workflow becomes. */
export const TEAM_STEP = 'team';
/** Turns a team may take when `workflow.team.max_turns` does not say. */
export const DEFAULT_MAX_TURNS = 10;

/**
 * A team workflow is one `type: pattern` step: each agent type is a member (named after the
 * type, `builtin:echo` → `builtin_echo`), `workflow.team` (a Baton extension) holds the
 * pattern's settings (`max_turns`, `supervisor`, `start`, `routes`, `thread`, `until`, …) as
 * the pattern step takes them, and tasks, if any, are the team's brief: the step's input is
 * `{ request: <run input>, tasks: [...] }`. The definitions validator checks the rest.
 */
export function teamSteps(read: ReadWorkflow, mapping: Translation['mapping'], warnings: FieldError[]): Array<Record<string, unknown>> {
  const pattern = TEAM_PATTERNS[read.pattern!]!;
  const names = new Map<string, string>();
  const members = read.agents.map((agent, i) => {
    let name = agent.type.replace(/[^A-Za-z0-9_-]/g, '_');
    while ([...names.values()].includes(name)) name = `${name}_${i + 1}`;
    names.set(agent.type, name);
    if (agent.count > 1) warnings.push({ path: `workflow.agents[${i}].count`, message: 'a team member takes turns one at a time: count is kept as a hint only' });
    return { name, agent: agent.type, ...(agent.capabilities.length > 0 ? { description: `capabilities: ${agent.capabilities.join(', ')}` } : {}) };
  });
  const settings = { ...(read.team ?? {}) };
  const step: Record<string, unknown> = { id: TEAM_STEP, type: 'pattern', pattern, max_turns: settings.max_turns ?? DEFAULT_MAX_TURNS, ...settings, agents: members };
  mapping.push({ from: 'workflow.orchestration_pattern', to: `steps.${TEAM_STEP}.pattern`, note: read.pattern === pattern ? 'one pattern step runs the team' : `${read.pattern} runs as Baton's ${pattern} pattern` });
  mapping.push({ from: 'workflow.agents[*].type', to: `steps.${TEAM_STEP}.agents`, note: `members: ${members.map((m) => `${m.name} = ${m.agent}`).join(', ')}` });
  if (read.team !== undefined) mapping.push({ from: 'workflow.team', to: `steps.${TEAM_STEP}`, note: 'the pattern settings as written' });
  if (settings.max_turns === undefined) mapping.push({ from: '(default)', to: `steps.${TEAM_STEP}.max_turns`, note: `${DEFAULT_MAX_TURNS}: set workflow.team.max_turns` });
  if (read.tasks.length > 0) {
    step.input = {
      request: '{{ input }}',
      tasks: read.tasks.map((t) => ({ id: t.id, agent: names.get(t.agent) ?? t.agent, depends_on: t.dependsOn, ...(t.description ? { description: t.description } : {}), ...(t.input !== undefined ? { input: t.input } : {}) })),
    };
    mapping.push({ from: 'workflow.tasks', to: `steps.${TEAM_STEP}.input.tasks`, note: 'the team decides the order at run time: tasks are its brief' });
  }
  return [step];
}
