import { BatonConfig, EgressPolicy, OutboundHttp } from '@baton/common';
import { AgentCallError, type Agent, type InvocationContext } from '../agent.types.js';
import { A2aAgentClient } from './a2a-agent.client.js';
import { startV03TestAgent, startV1TestAgent, type TestAgent, type TestAgentBehaviour } from './a2a/testing/a2a-test-agents.js';

function agentAt(url: string, headers: Record<string, string> = {}): Agent {
  const now = new Date();
  return { id: 'a1', name: 'remote', kind: 'a2a', url, capabilities: [], headers, createdAt: now, updatedAt: now };
}

/** The default policy of a Baton on loopback: the test agents on 127.0.0.1 are reachable. */
const outbound = new OutboundHttp(EgressPolicy.fromConfig(new BatonConfig({})));
afterAll(() => outbound.close());

const context: InvocationContext = { runId: 'run-1', stepId: 'step-1', stepKey: 'ask', attempt: 2 };

async function callError(promise: Promise<unknown>): Promise<AgentCallError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AgentCallError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const versions: Array<[string, (b: TestAgentBehaviour) => Promise<TestAgent>]> = [
  ['v1.0', startV1TestAgent],
  ['v0.3', startV03TestAgent],
];

describe.each(versions)('A2aAgentClient against a %s agent', (version, start) => {
  const agents: TestAgent[] = [];
  const startAgent = async (behaviour: TestAgentBehaviour) => {
    const agent = await start(behaviour);
    agents.push(agent);
    return agent;
  };
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
  });

  it('returns the data artifact of a completed task as the step output', async () => {
    const remote = await startAgent('echo');
    const output = await new A2aAgentClient(outbound).invoke(agentAt(remote.url), { topic: 'otters' }, context, new AbortController().signal);
    expect(output).toEqual({ echo: { topic: 'otters' } });
  });

  it('sends a deterministic message id, the prompt as text, and the agent headers', async () => {
    const remote = await startAgent('echo');
    const client = new A2aAgentClient(outbound);
    await client.invoke(agentAt(remote.url, { 'x-api-key': 'k1' }), { n: 1 }, { ...context, itemIndex: 3, prompt: 'say hi' }, new AbortController().signal);
    const [received] = remote.received;
    expect(received!.message.messageId).toBe('step-1:2:3');
    expect(received!.headers['x-api-key']).toBe('k1');
    expect(JSON.stringify(received!.message.parts)).toContain('say hi');
    // Each dialect on its own wire: v1.0 announces itself, v0.3 messages carry `kind`.
    if (version === 'v1.0') expect(received!.headers['a2a-version']).toBe('1.0');
    else expect((received!.message as unknown as { kind: string }).kind).toBe('message');
  });

  it('follows a streaming task through its status updates to the text artifact', async () => {
    const remote = await startAgent('stream');
    const output = await new A2aAgentClient(outbound).invoke(agentAt(remote.url), { q: 1 }, context, new AbortController().signal);
    expect(output).toBe('streamed {"q":1}');
    expect(remote.received[0]!.headers.accept).toBe('text/event-stream');
  });

  it('fails without retry, with the agent message, when the task fails', async () => {
    const remote = await startAgent('fail');
    const error = await callError(new A2aAgentClient(outbound).invoke(agentAt(remote.url), {}, context, new AbortController().signal));
    expect(error).toMatchObject({ retryable: false, code: 'agent_failed' });
    expect(error.message).toContain('cannot do that');
  });

  it('reports input_required with the agent question', async () => {
    const remote = await startAgent('ask');
    const error = await callError(new A2aAgentClient(outbound).invoke(agentAt(remote.url), {}, context, new AbortController().signal));
    expect(error).toMatchObject({ retryable: false, code: 'input_required' });
    expect(error.message).toContain('Which colour?');
  });

  it('cancels the remote task when the step is aborted', async () => {
    const remote = await startAgent('hang');
    const controller = new AbortController();
    const call = new A2aAgentClient(outbound).invoke(agentAt(remote.url), {}, context, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    const error = await callError(call);
    expect(error).toMatchObject({ retryable: false, code: 'cancelled' });
    expect(remote.cancelled).toHaveLength(1);
  });

  it('fetches the agent card once for several calls', async () => {
    const remote = await startAgent('echo');
    const client = new A2aAgentClient(outbound);
    for (let i = 0; i < 3; i++) await client.invoke(agentAt(remote.url), { i }, context, new AbortController().signal);
    expect(remote.cardFetches).toBe(1);
  });
});

describe('A2aAgentClient when the agent is unreachable', () => {
  it('fails with a retryable connection error', async () => {
    const error = await callError(new A2aAgentClient(outbound).invoke(agentAt('http://127.0.0.1:9'), {}, context, new AbortController().signal));
    expect(error).toMatchObject({ retryable: true, code: 'connection_error' });
  });
});
