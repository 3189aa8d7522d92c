import { validateDefinition } from '@baton/definitions';
import { translateWorkflow } from './translate-workflow.js';

const team = (pattern: string, extra: Record<string, unknown> = {}) => ({
  workflow: {
    name: 'support-team',
    version: '1',
    orchestration_pattern: pattern,
    agents: [{ type: 'builtin:script', capabilities: ['planning'] }, { type: 'builtin:transform', count: 2 }],
    ...extra,
  },
});

describe('translateWorkflow with a team pattern', () => {
  it('makes one pattern step whose members are the agent types, with the team settings as written', () => {
    const result = translateWorkflow(team('supervisor', { team: { max_turns: 4, supervisor: 'builtin_script' } }));
    expect(result.report.errors).toEqual([]);
    expect(result.translation!.definition.steps).toEqual([
      {
        id: 'team', type: 'pattern', pattern: 'supervisor', max_turns: 4, supervisor: 'builtin_script',
        agents: [{ name: 'builtin_script', agent: 'builtin:script', description: 'capabilities: planning' }, { name: 'builtin_transform', agent: 'builtin:transform' }],
      },
    ]);
    expect(result.report.warnings).toEqual([expect.objectContaining({ path: 'workflow.agents[1].count' })]);
    expect(result.estimated).toMatchObject({ steps: 1, max_parallel_steps: 1, agents: 3, tasks: 0 });
    const checked = validateDefinition(result.translation!.definition);
    expect(checked.ok ? [] : checked.errors).toEqual([]);
  });

  it('runs hierarchical as a supervisor, defaults max_turns and gives tasks to the team as its brief', () => {
    const result = translateWorkflow(team('hierarchical', { tasks: [{ id: 'draft', agent: 'builtin:transform', description: 'write it' }, { id: 'check', agent: 'builtin:script', depends_on: ['draft'] }] }));
    const [step] = result.translation!.definition.steps as Array<Record<string, unknown>>;
    expect(step).toMatchObject({ pattern: 'supervisor', max_turns: 10 });
    expect(step!.input).toEqual({
      request: '{{ input }}',
      tasks: [
        { id: 'draft', agent: 'builtin_transform', depends_on: [], description: 'write it' },
        { id: 'check', agent: 'builtin_script', depends_on: ['draft'] },
      ],
    });
    expect(result.translation!.mapping).toContainEqual(expect.objectContaining({ from: 'workflow.orchestration_pattern', note: "hierarchical runs as Baton's supervisor pattern" }));
  });

  it.each(['handoff', 'swarm', 'network', 'group_chat'])('translates %s', (pattern) => {
    const result = translateWorkflow(team(pattern, { team: { max_turns: 3 } }));
    expect(result.report.valid).toBe(true);
    expect((result.translation!.definition.steps as Array<Record<string, unknown>>)[0]!.pattern).toBe(pattern);
  });

  it('keeps refusing unknown patterns, and a team block under a task-graph pattern', () => {
    expect(translateWorkflow(team('committee')).unknownPattern).toBe('committee');
    const graph = translateWorkflow({ workflow: { ...team('dag').workflow, tasks: [{ id: 'a', agent: 'builtin:script' }], team: { max_turns: 2 } } });
    expect(graph.report.errors).toEqual([expect.objectContaining({ path: 'workflow.team' })]);
  });
});
