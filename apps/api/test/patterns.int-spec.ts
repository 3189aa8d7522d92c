import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { startTeamAgents, type TeamAgents } from './support/team-agents.js';

const agentsOf = (prefix: string, names: string[]) => names.map((name) => ({ name, agent: `${prefix}${name}` }));

describe.each(testDatabaseKinds())('patterns on %s', (kind) => {
  const ctx = useTestServer(kind);
  const teams: TeamAgents[] = [];
  afterAll(async () => {
    for (const team of teams) await team.close();
  });
  const team = async (prefix: string, brains: Parameters<typeof startTeamAgents>[0]): Promise<TeamAgents> => {
    const agents = await startTeamAgents(brains);
    teams.push(agents);
    await agents.register(ctx.url, prefix);
    return agents;
  };

  it('runs a supervisor that calls two workers, then FINISH', async () => {
    const agents = await team('sup-', {
      boss: (input) => {
        const done = input.history.map((h: any) => h.agent);
        if (!done.includes('researcher')) return { next: 'researcher', input: { topic: input.task.topic } };
        if (!done.includes('writer')) return { next: 'writer', input: { notes: input.history[0].output.notes } };
        return { next: 'FINISH', output: { article: input.history[1].output.text } };
      },
      researcher: (input) => ({ notes: `facts about ${input.topic}` }),
      writer: (input) => ({ text: `An article from: ${input.notes}` }),
    });
    const run = await startPlan(ctx.url, {
      steps: [{ id: 'team', type: 'pattern', pattern: 'supervisor', supervisor: 'boss', max_turns: 10, agents: agentsOf('sup-', ['boss', 'researcher', 'writer']) }],
    }, { topic: 'tides' });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.output.team).toEqual({ article: 'An article from: facts about tides' });
    const step = stepOf(done, 'team');
    expect(step.pattern).toBe('supervisor');
    expect(step.turns.map((t: any) => [t.turn, t.agent, t.status])).toEqual([
      [1, 'boss', 'completed'], [2, 'researcher', 'completed'], [3, 'boss', 'completed'], [4, 'writer', 'completed'], [5, 'boss', 'completed'],
    ]);
    expect(step.turns[1]).toMatchObject({ attempt: 1, cache_hit: false, input: { topic: 'tides' }, output: { notes: 'facts about tides' } });
    expect(agents.calls.boss![2].workers).toEqual([{ name: 'researcher' }, { name: 'writer' }]);
    expect(agents.calls.researcher).toHaveLength(1);
    const events = await ctx.database.db.query<{ type: string; data: any }>(
      `select type, data from orchestration_events where run_id = $1::uuid and type like 'step.turn_%' order by seq`, [run.id]);
    expect(events.rows.filter((e) => e.type === 'step.turn_completed').map((e) => e.data.agent)).toEqual(['boss', 'researcher', 'boss', 'writer', 'boss']);
    expect(events.rows.filter((e) => e.type === 'step.turn_started')).toHaveLength(5);
  });

  it('fails a supervisor that never finishes at max_turns, or completes with on_max_turns: complete', async () => {
    await team('loop-', { boss: () => ({ next: 'worker' }), worker: (_input, i) => ({ round: i }) });
    const steps = (onMax: string) => [{ id: 'team', type: 'pattern', pattern: 'supervisor', max_turns: 4, on_max_turns: onMax, agents: agentsOf('loop-', ['boss', 'worker']) }];
    const failed = await waitForRun(ctx.url, (await startPlan(ctx.url, { steps: steps('fail') })).id);
    expect(failed.status).toBe('failed');
    expect(stepOf(failed, 'team')).toMatchObject({ status: 'failed', error: { code: 'max_turns' } });
    expect(stepOf(failed, 'team').turns).toHaveLength(4);
    const completed = await waitForRun(ctx.url, (await startPlan(ctx.url, { steps: steps('complete') })).id);
    expect(completed.status).toBe('completed');
    expect(completed.output.team).toEqual({ round: 3 });
  });

  it('closes the turn in flight when its run is cancelled', async () => {
    const agents = await team('cx-', { boss: () => ({ next: 'slow' }), slow: () => new Promise(() => undefined) });
    const run = await startPlan(ctx.url, { steps: [{ id: 'team', type: 'pattern', pattern: 'supervisor', max_turns: 4, agents: agentsOf('cx-', ['boss', 'slow']) }] });
    await waitForRun(ctx.url, run.id, (r) => stepOf(r, 'team').turns?.length === 2);
    // The turn's row commits before its agent call goes out: wait for the call to arrive.
    await waitFor(() => (agents.calls.slow?.length ?? 0) > 0, { what: 'the slow turn\'s call' });
    expect(agents.calls.slow).toHaveLength(1);
    expect((await http('POST', `${ctx.url}/api/v1/runs/${run.id}/cancel`)).status).toBe(200);
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('cancelled');
    expect(stepOf(done, 'team').turns.map((t: any) => [t.agent, t.status, t.error?.code ?? null])).toEqual([['boss', 'completed', null], ['slow', 'failed', 'cancelled']]);
  });

  it('hands off between three agents and fails clearly on a refused route', async () => {
    await team('ho-', {
      triage: (input) => ({ handoff: { to: input.task.route, input: { ticket: input.task.ticket }, reason: 'billing question' } }),
      billing: (input) => (input.task.escalate ? { handoff: { to: 'tech' } } : { handoff: { to: 'closer', input: { refund: `${input.input.ticket}: refunded` } } }),
      closer: (input) => ({ final: { resolution: input.input.refund, via: input.from } }),
      tech: () => ({ final: 'never reached' }),
    });
    const plan = {
      steps: [{
        id: 'desk', type: 'pattern', pattern: 'handoff', max_turns: 6, start: 'triage',
        routes: { triage: ['billing', 'tech'], billing: ['closer'] },
        agents: agentsOf('ho-', ['triage', 'billing', 'closer', 'tech']),
      }],
    };
    const done = await waitForRun(ctx.url, (await startPlan(ctx.url, plan, { route: 'billing', ticket: 'T-1' })).id);
    expect(done.status).toBe('completed');
    expect(done.output.desk).toEqual({ resolution: 'T-1: refunded', via: 'billing' });
    expect(stepOf(done, 'desk').turns.map((t: any) => t.agent)).toEqual(['triage', 'billing', 'closer']);
    expect(stepOf(done, 'desk').turns[1].input).toMatchObject({ from: 'triage', reason: 'billing question', input: { ticket: 'T-1' } });

    const refused = await waitForRun(ctx.url, (await startPlan(ctx.url, plan, { route: 'billing', ticket: 'T-2', escalate: true })).id);
    expect(refused.status).toBe('failed');
    expect(stepOf(refused, 'desk')).toMatchObject({ attempt: 1, error: { code: 'pattern_contract', message: expect.stringContaining('route refused: "billing" may not hand off to "tech"') } });
  });

  it('resumes a swarm thread in a second run with the agent that spoke last', async () => {
    const agents = await team('sw-', {
      greeter: (input) => ({ handoff: { to: 'expert', input: input.task.question } }),
      // Handed off, it gets the greeter's input; resumed, the run's input (the task).
      expert: (input) => ({ final: `answer ${input.history.length}: ${input.from ? input.input : input.task.question}` }),
    });
    const definition = {
      name: 'swarm-desk', version: '1',
      steps: [{ id: 'chat', type: 'pattern', pattern: 'swarm', thread: 'conversation', max_turns: 4, agents: agentsOf('sw-', ['greeter', 'expert']) }],
    };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, definition)).status).toBe(201);
    const start = async (input: unknown) => waitForRun(ctx.url, (await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'swarm-desk' }, input })).body.id);
    const first = await start({ conversation: 'c-1', question: 'tides?' });
    expect(first.output.chat).toBe('answer 1: tides?');
    const second = await start({ conversation: 'c-1', question: 'moons?' });
    expect(second.status).toBe('completed');
    // The expert spoke last in c-1, so it answers at once, seeing the thread's history.
    expect(stepOf(second, 'chat').turns.map((t: any) => t.agent)).toEqual(['expert']);
    expect(second.output.chat).toBe('answer 2: moons?');
    const other = await start({ conversation: 'c-2', question: 'orbits?' });
    expect(stepOf(other, 'chat').turns.map((t: any) => t.agent)).toEqual(['greeter', 'expert']);
    expect(agents.calls.greeter).toHaveLength(2);
  });

  it('passes work around a network with a shared state', async () => {
    await team('net-', {
      planner: (input) => (input.state.draft ? { final: input.state.draft } : { state_patch: { outline: ['intro', 'body'] }, next: 'writer' }),
      writer: (input) => ({ state_patch: { draft: `${input.state.outline.join('+')} by writer` }, next: 'critic' }),
      critic: (input) => ({ state_patch: { approved: input.state.draft.length > 0 }, next: 'planner' }),
    });
    const run = await startPlan(ctx.url, {
      steps: [{ id: 'net', type: 'pattern', pattern: 'network', max_turns: 8, state: { topic: 'tides' }, agents: agentsOf('net-', ['planner', 'writer', 'critic']) }],
    });
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.output.net).toEqual({
      final: 'intro+body by writer',
      state: { topic: 'tides', outline: ['intro', 'body'], draft: 'intro+body by writer', approved: true },
    });
    expect(stepOf(done, 'net').turns.map((t: any) => t.agent)).toEqual(['planner', 'writer', 'critic', 'planner']);
  });

  it('runs sequential (one member picked by capability) and concurrent teams', async () => {
    const seqAgents = await team('seq-', {
      a: (input) => `${input.input.text}-a`,
      b: (input) => `${input.input}-b`,
      x: (input) => ({ x: input.task.n * 2 }),
      y: (input) => ({ y: input.task.n * 3 }),
      sum: (input) => input.results.x.x + input.results.y.y,
    });
    const capable = await http('POST', `${ctx.url}/api/v1/agents`, { name: 'seq-capable-b', kind: 'http', url: seqAgents.url('b'), capabilities: [`suffixing-${kind}`] });
    expect(capable.status).toBe(201);
    const seq = await waitForRun(ctx.url, (await startPlan(ctx.url, {
      steps: [{ id: 's', type: 'pattern', pattern: 'sequential', max_turns: 2, agents: [{ name: 'a', agent: 'seq-a' }, { name: 'b', capability: `suffixing-${kind}` }] }],
    }, { text: 'go' })).id);
    expect(seq.output.s).toBe('go-a-b');
    const con = await waitForRun(ctx.url, (await startPlan(ctx.url, {
      steps: [{ id: 'c', type: 'pattern', pattern: 'concurrent', aggregator: 'sum', max_turns: 3, agents: agentsOf('seq-', ['x', 'y', 'sum']) }],
    }, { n: 5 })).id);
    expect(con.output.c).toBe(25);
    expect(stepOf(con, 'c').turns.map((t: any) => t.agent)).toEqual(['x', 'y', 'sum']);
  });

  it('runs a group chat picked by a selector until it says FINISH', async () => {
    await team('gc-', {
      selector: (input) => (input.transcript.length >= 3 ? { next: 'FINISH' } : { next: input.transcript.length % 2 === 0 ? 'alice' : 'bob' }),
      alice: (input) => `alice after ${input.transcript.length}`,
      bob: (input) => `bob after ${input.transcript.length}`,
    });
    const done = await waitForRun(ctx.url, (await startPlan(ctx.url, {
      steps: [{ id: 'chat', type: 'pattern', pattern: 'group_chat', selector: 'selector', max_turns: 10, agents: agentsOf('gc-', ['selector', 'alice', 'bob']) }],
    })).id);
    expect(done.status).toBe('completed');
    expect(done.output.chat.transcript.map((m: any) => m.output)).toEqual(['alice after 0', 'bob after 1', 'alice after 2']);
    expect(done.output.chat.last).toBe('alice after 2');
  });

  it('ends a round-robin group chat on its until condition', async () => {
    const agents = await team('rr-', {
      writer: (input) => ({ draft: input.transcript.length / 2 + 1 }),
      critic: (input) => ({ verdict: input.transcript[input.transcript.length - 1].output.draft >= 2 ? 'approved' : 'revise' }),
    });
    const done = await waitForRun(ctx.url, (await startPlan(ctx.url, {
      steps: [{
        id: 'chat', type: 'pattern', pattern: 'group_chat', max_turns: 20,
        until: "has(last.verdict) && last.verdict == 'approved'",
        agents: agentsOf('rr-', ['writer', 'critic']),
      }],
    })).id);
    expect(done.status).toBe('completed');
    expect(done.output.chat.transcript.map((m: any) => m.agent)).toEqual(['writer', 'critic', 'writer', 'critic']);
    expect(done.output.chat.last).toEqual({ verdict: 'approved' });
    expect(agents.calls.writer).toHaveLength(2);
    const bad = await http('POST', `${ctx.url}/api/v1/runs`, {
      plan: { steps: [{ id: 'chat', type: 'pattern', pattern: 'group_chat', max_turns: 3, until: 'transcrip.size() > 2', agents: agentsOf('rr-', ['writer']) }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([{ path: 'steps[0].until', message: "undeclared reference to 'transcrip'" }]);
  });

  it('rehearses a pattern with builtin:script through the definition shortcut', async () => {
    const definition = {
      name: 'scripted-team', version: '1',
      orchestration: { pattern: 'supervisor', max_turns: 5 },
      agents: [
        { name: 'lead', agent: 'builtin:script', settings: { items: [{ next: 'helper', input: 'draft it' }, { next: 'FINISH' }] } },
        { name: 'helper', agent: 'builtin:script', settings: { items: [{ draft: 'v1' }] } },
      ],
    };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, definition)).status).toBe(201);
    const run = (await http('POST', `${ctx.url}/api/v1/runs`, { definition: { name: 'scripted-team' }, input: { topic: 'x' } })).body;
    const done = await waitForRun(ctx.url, run.id);
    expect(done.status).toBe('completed');
    expect(done.output.team).toEqual({ draft: 'v1' });
    expect(stepOf(done, 'team').turns.map((t: any) => t.agent)).toEqual(['lead', 'helper', 'lead']);
  });

  it('refuses bad patterns with 400s naming the path, storing nothing', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const response = await http('POST', `${ctx.url}/api/v1/definitions`, { name: 'bad-team', version: '1', ...body });
      expect(response.status).toBe(400);
      return response.body.details.map((d: any) => `${d.path}: ${d.message}`).join('\n');
    };
    const team = [{ name: 'a', agent: 'builtin:echo' }, { name: 'b', agent: 'builtin:echo' }];
    expect(await bad({ steps: [{ id: 't', type: 'pattern', pattern: 'committee', max_turns: 3, agents: team }] })).toMatch(/steps\[0\]\.pattern: unknown pattern "committee"/);
    expect(await bad({ steps: [{ id: 't', type: 'pattern', pattern: 'supervisor', supervisor: 'zed', max_turns: 3, agents: team }] })).toMatch(/steps\[0\]\.supervisor: "zed" is not in the team/);
    expect(await bad({ steps: [{ id: 't', type: 'pattern', pattern: 'supervisor', agents: team }] })).toMatch(/steps\[0\]\.max_turns: is required/);
    expect(await bad({ steps: [{ id: 't', type: 'pattern', pattern: 'handoff', max_turns: 3, routes: { a: ['c'] }, agents: team }] })).toMatch(/steps\[0\]\.routes\.a\[0\]: route to unknown agent "c"/);
    expect(await bad({ steps: [{ id: 't', type: 'pattern', pattern: 'supervisor', max_turns: 3, agents: [{ name: 'a', agent: 'nobody' }, team[1]] }] })).toMatch(/steps\[0\]\.agents\[0\]\.agent: unknown agent "nobody"/);
    expect(await bad({ orchestration: { pattern: 'supervisor' }, agents: team })).toMatch(/^orchestration\.max_turns: is required/m);
    expect((await http('GET', `${ctx.url}/api/v1/definitions/bad-team`)).status).toBe(404);
    const runs = await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 't', type: 'pattern', pattern: 'network', max_turns: 3, agents: team, supervisor: 'a' }] } });
    expect(runs.status).toBe(400);
    expect(JSON.stringify(runs.body.details)).toContain('is not a setting of the network pattern');
  });
});
