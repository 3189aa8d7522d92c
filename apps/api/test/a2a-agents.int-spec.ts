import { createTestDatabase, testDatabaseKinds, waitFor, type TestDatabase } from '@baton/testing';
import { startV03TestAgent, startV1TestAgent, type TestAgent } from '../../../libs/agents/src/clients/a2a/testing/a2a-test-agents.js';
import { startPlan, stepOf, waitForRun } from './support/runs.js';
import { http, startTestApp, type TestApp } from './support/test-app.js';

describe.each(testDatabaseKinds())('runs dispatching to remote A2A agents on %s', (kind) => {
  let database: TestDatabase;
  let server: TestApp;
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startTestApp(database.db);
  });

  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await server?.close();
    await database?.drop();
  });

  async function register(name: string, agent: TestAgent): Promise<void> {
    agents.push(agent);
    const response = await http('POST', `${server.url}/api/v1/agents`, { name, kind: 'a2a', url: agent.url });
    expect([200, 201]).toContain(response.status);
  }

  it('completes a step with the output of a v1.0 agent', async () => {
    await register('echo-v1', await startV1TestAgent('echo'));
    const run = await startPlan(server.url, { steps: [{ id: 'ask', agent: 'echo-v1', input: { topic: 'otters' } }] });
    const done = await waitForRun(server.url, run.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'ask').output).toEqual({ echo: { topic: 'otters' } });
  });

  it('completes a step with the output of a streaming v0.3 agent', async () => {
    await register('stream-v03', await startV03TestAgent('stream'));
    const run = await startPlan(server.url, { steps: [{ id: 'ask', agent: 'stream-v03', input: { q: 1 } }] });
    const done = await waitForRun(server.url, run.id);
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'ask').output).toBe('streamed {"q":1}');
  });

  it('fails the step with the agent message when the remote task fails', async () => {
    await register('fail-v1', await startV1TestAgent('fail'));
    const run = await startPlan(server.url, { steps: [{ id: 'ask', agent: 'fail-v1', input: {} }] });
    const done = await waitForRun(server.url, run.id);
    expect(done.status).toBe('failed');
    expect(JSON.stringify(stepOf(done, 'ask'))).toContain('cannot do that');
  });

  it.each([
    ['v1.0', startV1TestAgent],
    ['v0.3', startV03TestAgent],
  ])('turns a %s agent question into a checkpoint and sends the answer back', async (version, start) => {
    const name = `ask-${version.replace('.', '')}`;
    await register(name, await start('ask'));
    const run = await startPlan(server.url, { steps: [{ id: 'paint', agent: name, input: { wall: 'north' } }] });
    const approval = await waitFor(async () => {
      const list = await http('GET', `${server.url}/api/v1/approvals?status=pending&runId=${run.id}`);
      return list.body.approvals[0];
    }, { what: 'the agent question as an approval' });
    expect(approval).toMatchObject({ kind: 'agent_input', round: 0, prompt: 'Which colour?', stepId: 'paint' });
    expect((await waitForRun(server.url, run.id, (r) => r.status === 'waiting')).status).toBe('waiting');

    const decided = await http('POST', `${server.url}/api/v1/approvals/${approval.id}/decision`, {
      decision: 'approve',
      comment: 'brand colour',
      payload: 'teal',
    });
    expect(decided.status).toBe(200);
    const done = await waitForRun(server.url, run.id);
    expect(done.status).toBe('completed');
    // The agent answered on the same task with what the person decided.
    expect(stepOf(done, 'paint')).toMatchObject({
      attempt: 1,
      output: { colour: { decision: 'approve', comment: 'brand colour', answer: 'teal' } },
    });
  });
});
