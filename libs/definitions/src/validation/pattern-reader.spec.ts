import { validateDefinition } from './validate-definition.js';

const team = [{ name: 'a', agent: 'builtin:echo' }, { name: 'b', agent: 'builtin:echo' }];
const errorsOf = (body: unknown) => {
  const result = validateDefinition(body, { requireNameAndVersion: false });
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
};

describe('pattern validation', () => {
  it('normalizes a pattern step', () => {
    const result = validateDefinition({ steps: [{ id: 't', type: 'pattern', pattern: 'handoff', max_turns: 5, on_max_turns: 'complete', routes: { a: ['b'] }, agents: team }] }, { requireNameAndVersion: false });
    expect(result.ok && result.definition.steps[0]!.pattern).toEqual({ name: 'handoff', maxTurns: 5, onMaxTurns: 'complete', agents: team, routes: { a: ['b'] } });
  });

  it('names the path of each problem', () => {
    expect(errorsOf({ steps: [{ id: 't', type: 'pattern', pattern: 'supervisor', supervisor: 'x', agents: [...team, { name: 'a', agent: 'builtin:echo' }] }] })).toEqual([
      'steps[0].max_turns: is required for a pattern (a positive integer: the most agent turns it may take)',
      'steps[0].agents[2].name: duplicate agent name "a"',
      'steps[0].supervisor: "x" is not in the team (a, b)',
    ]);
    expect(errorsOf({ steps: [{ id: 't', type: 'pattern', pattern: 'swarm', max_turns: 2, agents: team }] })).toEqual([
      'steps[0].thread: is required for a swarm (the input field that names the conversation)',
    ]);
    expect(errorsOf({ steps: [{ id: 't', agent: 'builtin:echo', max_turns: 2 }] })).toEqual(['steps[0].max_turns: is only allowed when type is pattern']);
    expect(errorsOf({ steps: [{ id: 't', type: 'pattern', pattern: 'group_chat', max_turns: 2, until: 'last >', agents: team }] })[0]).toMatch(/^steps\[0\]\.until: syntax error/);
  });

  it('reads the definition shortcut and reports at the keys the author wrote', () => {
    const result = validateDefinition({ orchestration: { pattern: 'sequential', max_turns: 2, execution: { max_parallel: 2 } }, agents: team }, { requireNameAndVersion: false });
    expect(result.ok && result.definition.steps.map((s) => [s.id, s.type, s.pattern?.name])).toEqual([['team', 'pattern', 'sequential']]);
    expect(result.ok && result.definition.execution.maxParallel).toBe(2);
    expect(errorsOf({ orchestration: { pattern: 'sequential' }, agents: [{ name: 'a' }] })).toEqual([
      'orchestration.max_turns: is required for a pattern (a positive integer: the most agent turns it may take)',
      'agents[0].agent: is required (or give capability, definition, team or human)',
    ]);
    expect(errorsOf({ agents: team, steps: [{ id: 'x', agent: 'builtin:echo' }] })).toEqual(['agents: is only allowed with orchestration.pattern (the pattern shortcut)']);
  });
});
