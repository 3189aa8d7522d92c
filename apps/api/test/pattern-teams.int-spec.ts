import { loadExampleDefinitions } from '@baton/definitions';
import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { startTeamAgents, type TeamAgents } from './support/team-agents.js';

/** Teams of teams (hierarchical), child definitions as workers, and people as participants. */
describe.each(testDatabaseKinds())('pattern teams and people on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_POLL_INTERVAL_MS: '200' });
  let agents: TeamAgents;
  beforeAll(async () => {
    agents = await startTeamAgents({
      // The top supervisor: research team first, then the formatter definition, then FINISH.
      chief: (input) => {
        const done = input.history.map((h: any) => h.agent);
        if (!done.includes('research')) return { next: 'research', input: { topic: input.task.topic } };
        if (!done.includes('format')) return { next: 'format', input: { text: input.history[0].output } };
        return { next: 'FINISH', output: input.history.map((h: any) => h.output) };
      },
      // The nested team's own supervisor.
      lead: (input) => (input.history.length === 0 ? { next: 'digger', input: input.task } : { next: 'FINISH', output: `found: ${input.history[0].output.fact}` }),
      digger: (input) => ({ fact: `${input.topic} rise twice a day` }),
      asker: (input) => (input.history.length === 0 ? { next: 'person', input: { question: `approve ${input.task.topic}?` } } : { next: 'FINISH' }),
    });
    await agents.register(ctx.url, 'teams-');
  });
  afterAll(() => agents?.close());

  it('runs a supervisor whose workers are a nested team and a child definition', async () => {
    const formatter = { name: 'formatter', version: '1', steps: [{ id: 'shout', agent: 'builtin:transform', input: { upper: '{{ input.text }}' } }] };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, formatter)).status).toBe(201);
    const run = await startPlan(ctx.url, {
      steps: [{
        id: 'org', type: 'pattern', pattern: 'supervisor', max_turns: 6,
        agents: [
          { name: 'chief', agent: 'teams-chief' },
          { name: 'research', team: { pattern: 'supervisor', max_turns: 4, agents: [{ name: 'lead', agent: 'teams-lead' }, { name: 'digger', agent: 'teams-digger' }] } },
          { name: 'format', definition: { name: 'formatter' } },
        ],
      }],
    }, { topic: 'tides' });
    const done = await waitForRun(ctx.url, run.id, undefined, 60_000);
    expect(done.status).toBe('completed');
    expect(done.output.org).toEqual(['found: tides rise twice a day', { shout: { upper: 'found: tides rise twice a day' } }]);
    const turns = stepOf(done, 'org').turns;
    expect(turns.map((t: any) => [t.agent, t.status, t.attempt])).toEqual([
      ['chief', 'completed', 1], ['research', 'completed', 1], ['chief', 'completed', 1], ['format', 'completed', 1], ['chief', 'completed', 1],
    ]);
    const children = await ctx.database.db.query<{ definition_name: string; status: string }>(
      `select definition_name, status from orchestration_runs where parent_run_id = $1::uuid order by created_at`, [run.id]);
    expect(children.rows.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(children.rows[1]!.definition_name).toBe('formatter');
    expect(agents.calls.chief).toHaveLength(3);
    expect(agents.calls.digger).toHaveLength(1);
  });

  it('makes a person\'s turn an approval whose answer is the turn output', async () => {
    const run = await startPlan(ctx.url, {
      steps: [{
        id: 'desk', type: 'pattern', pattern: 'supervisor', max_turns: 4,
        agents: [{ name: 'asker', agent: 'teams-asker' }, { name: 'person', human: { prompt: 'Your call' } }],
      }],
    }, { topic: 'moons' });
    const approval = await waitFor(async () => (await http('GET', `${ctx.url}/api/v1/approvals?status=pending&runId=${run.id}`)).body.approvals[0], { what: 'the person\'s turn' });
    expect(approval).toMatchObject({ kind: 'checkpoint', prompt: 'Your call', payload: { question: 'approve moons?' } });
    const waiting = await waitForRun(ctx.url, run.id, (r) => r.status === 'waiting');
    expect(stepOf(waiting, 'desk').turns.map((t: any) => [t.agent, t.status])).toEqual([['asker', 'completed'], ['person', 'running']]);
    const decided = await http('POST', `${ctx.url}/api/v1/approvals/${approval.id}/decision`, { decision: 'approve', payload: { verdict: 'yes' } });
    expect(decided.status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.output.desk).toEqual({ verdict: 'yes' });
    expect(stepOf(done, 'desk').turns.map((t: any) => [t.agent, t.status, t.attempt])).toEqual([['asker', 'completed', 1], ['person', 'completed', 1], ['asker', 'completed', 1]]);
    expect(agents.calls.asker).toHaveLength(2);
  });

  it('refuses teams nested too deep, naming the path', async () => {
    const leaf = { pattern: 'sequential', max_turns: 1, agents: [{ name: 'x', agent: 'builtin:echo' }] };
    const nest = (inner: object) => ({ pattern: 'sequential', max_turns: 1, agents: [{ name: 'n', team: inner }] });
    const response = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 't', type: 'pattern', ...nest(nest(nest(leaf))) }] } });
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([{ path: 'steps[0].agents[0].team.agents[0].team.agents[0].team', message: 'teams may nest at most 3 deep' }]);
  });
});

describe.each(testDatabaseKinds())('the pattern library on %s', (kind) => {
  const ctx = useTestServer(kind);

  it('lists built-in patterns with settings schemas, registers a custom one and runs it by name', async () => {
    const listed = await http('GET', `${ctx.url}/api/v1/patterns`);
    expect(listed.status).toBe(200);
    expect(listed.body.patterns.map((p: any) => p.name)).toEqual(['supervisor', 'handoff', 'swarm', 'network', 'sequential', 'concurrent', 'group_chat']);
    expect(listed.body.patterns[2].settings.required).toEqual(['pattern', 'max_turns', 'agents', 'thread']);

    const custom = {
      name: 'echo-twice', version: '1', description: 'says it twice',
      settings: { type: 'object', required: ['word'], properties: { word: { type: 'string' } }, additionalProperties: false },
      steps: [
        { id: 'first', agent: 'builtin:transform', input: { said: '{{ input.settings.word }}', about: '{{ input.task.topic }}' } },
        { id: 'second', agent: 'builtin:transform', depends_on: ['first'], input: { again: '{{ steps.first.output.said }}' } },
      ],
    };
    const registered = await http('POST', `${ctx.url}/api/v1/patterns`, custom);
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ name: 'echo-twice', kind: 'custom', version: '1' });
    expect((await http('POST', `${ctx.url}/api/v1/patterns`, custom)).status).toBe(200);
    expect((await http('POST', `${ctx.url}/api/v1/patterns`, { ...custom, settings: { type: 'object' } })).status).toBe(409);
    const available = await http('GET', `${ctx.url}/api/v1/patterns/available`);
    expect(available.body.patterns.find((p: any) => p.name === 'echo-twice')).toMatchObject({ kind: 'custom', settings: custom.settings });

    const run = await startPlan(ctx.url, { steps: [{ id: 'say', type: 'pattern', pattern: 'echo-twice', settings: { word: 'hi' } }] }, { topic: 'tides' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.output.say).toEqual({ second: { again: 'hi' } });
    expect(stepOf(done, 'say')).toMatchObject({ pattern: 'echo-twice', turns: [{ turn: 1, agent: 'echo-twice', status: 'completed' }] });

    const badSettings = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'say', type: 'pattern', pattern: 'echo-twice', settings: { word: 3 } }] } });
    expect(badSettings.status).toBe(400);
    expect(badSettings.body.details).toEqual([{ path: 'steps[0].settings.word', message: 'must be string' }]);
    const unknown = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'say', type: 'pattern', pattern: 'echo-thrice' }] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details[0]).toMatchObject({ path: 'steps[0].pattern', message: expect.stringContaining('unknown pattern "echo-thrice"') });
    const badSchema = await http('POST', `${ctx.url}/api/v1/patterns`, { ...custom, name: 'broken', settings: { type: 'nonsense' } });
    expect(badSchema.status).toBe(400);
    expect(badSchema.body.details[0].path).toBe('settings');
    expect((await http('GET', `${ctx.url}/api/v1/definitions/pattern.broken`)).status).toBe(404);
  });

  it('runs the two pattern examples that npm start loads', async () => {
    const examples = loadExampleDefinitions().filter((e) => ['supervisor-team.yaml', 'handoff-desk.yaml'].includes(e.file));
    expect(examples).toHaveLength(2);
    for (const example of examples) expect((await http('POST', `${ctx.url}/api/v1/definitions`, example.body)).status).toBe(201);
    const start = async (name: string, input: unknown) => waitForRun(ctx.url, (await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name }, input })).body.id);
    const team = await start('supervisor-team', { topic: 'tides' });
    expect(team.status).toBe('completed');
    expect(stepOf(team, 'team').turns.map((t: any) => t.agent)).toEqual(['editor', 'researcher', 'editor', 'writer', 'editor']);
    expect(team.output.team).toEqual({ ask: 'write one paragraph from the facts' });
    const desk = await start('handoff-desk', { customer: 'Ada' });
    expect(desk.status).toBe('completed');
    expect(desk.output.summary).toEqual({ customer: 'Ada', resolution: 'refunded 42' });
  });
});
