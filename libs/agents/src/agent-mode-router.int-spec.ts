import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatonConfig, EgressPolicy, OutboundHttp } from '@baton/common';
import { createTestDatabase, testDatabaseKinds, type TestDatabase, expectWithinBound, since } from '@baton/testing';
import { AgentCallError, type InvocationContext } from './agent.types.js';
import { AgentModeRouterService } from './agent-mode-router.service.js';
import { AgentRegistryService } from './agent-registry.service.js';
import { AgentRepository } from './agent.repository.js';
import { A2aAgentClient } from './clients/a2a-agent.client.js';
import { BuiltinAgentClient } from './clients/builtin-agent.client.js';
import { HttpAgentClient } from './clients/http-agent.client.js';
import { WorkerAgentClient } from './clients/worker-agent.client.js';

const context: InvocationContext = { runId: 'r1', stepId: 's1', stepKey: 'k', attempt: 1 };

async function failure(promise: Promise<unknown>): Promise<AgentCallError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AgentCallError);
  return error as AgentCallError;
}

describe.each(testDatabaseKinds())('agent mode router on %s', (kind) => {
  let database: TestDatabase;
  let registry: AgentRegistryService;
  let router: AgentModeRouterService;
  let slowServer: Server;
  let slowUrl: string;
  let outbound: OutboundHttp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // A long default, so the tests below show which timeout actually applied.
    const config = new BatonConfig({ BATON_DEFAULT_STEP_TIMEOUT_SECONDS: '30' });
    const egress = EgressPolicy.fromConfig(config);
    outbound = new OutboundHttp(egress);
    registry = new AgentRegistryService(new AgentRepository(database.db), egress);
    router = new AgentModeRouterService(registry, config, new HttpAgentClient(outbound), new BuiltinAgentClient(), new A2aAgentClient(outbound), new WorkerAgentClient());
    // Answers after 10 s, or never if the client hangs up first.
    slowServer = createServer((_request, response) => void setTimeout(() => response.end('{}'), 10_000).unref());
    await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
    slowUrl = `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    slowServer?.closeAllConnections();
    await new Promise((resolve) => slowServer?.close(resolve));
    await outbound?.close();
    await database?.drop();
  });

  it('routes a capability to the first registered agent by name, and re-routes after a delete', async () => {
    await registry.register({ name: 'zeta', kind: 'http', url: 'http://zeta.test/', capabilities: ['summarize'] });
    await registry.register({ name: 'alpha', kind: 'http', url: 'http://alpha.test/', capabilities: ['summarize', 'x'] });
    expect((await router.resolve({ capability: 'summarize' })).name).toBe('alpha');

    await registry.remove('alpha');
    expect((await router.resolve({ capability: 'summarize' })).name).toBe('zeta');
  });

  it('fails without retry when no agent has the capability, naming it', async () => {
    const error = await failure(router.resolve({ capability: 'translate-klingon' }));
    expect(error).toMatchObject({ retryable: false, code: 'no_agent_for_capability' });
    expect(error.message).toContain('translate-klingon');
  });

  it('resolves built-ins by name and refuses unknown names', async () => {
    expect(await router.resolve({ agent: 'builtin:echo' })).toMatchObject({ kind: 'builtin' });
    expect(await failure(router.resolve({ agent: 'ghost' }))).toMatchObject({ retryable: false, code: 'unknown_agent' });
  });

  it('sees a re-registration at once in the same process', async () => {
    await registry.register({ name: 'mover', kind: 'http', url: 'http://old.test/' });
    expect((await router.resolve({ agent: 'mover' })).url).toBe('http://old.test/');
    await registry.register({ name: 'mover', kind: 'http', url: 'http://new.test/' });
    expect((await router.resolve({ agent: 'mover' })).url).toBe('http://new.test/');
  });

  it('invokes a built-in and returns its output', async () => {
    expect(await router.invoke({ agent: 'builtin:echo' }, { hello: 'world' }, context)).toEqual({ hello: 'world' });
  });

  it("applies the caller's timeoutMs as a retryable timeout", async () => {
    const started = Date.now();
    const error = await failure(router.invoke({ agent: 'builtin:delay' }, { ms: 10_000 }, context, { timeoutMs: 100 }));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
    expectWithinBound('a 100 ms timeout on a 10 s built-in', since(started), 5_000);
  });

  it("falls back to the agent's own timeoutSeconds", async () => {
    await registry.register({ name: 'sluggish', kind: 'http', url: slowUrl, timeoutSeconds: 1 });
    const started = Date.now();
    const error = await failure(router.invoke({ agent: 'sluggish' }, {}, context));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expectWithinBound("the agent's 1 s timeout", since(started), 8_000);
  });

  it("turns the caller's abort into a non-retryable cancel", async () => {
    await registry.register({ name: 'sluggish-2', kind: 'http', url: slowUrl });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(router.invoke({ agent: 'sluggish-2' }, {}, context, { signal: controller.signal }));
    expect(error).toMatchObject({ retryable: false, code: 'cancelled' });
  });

  it('sends a2a agents to the A2A client, retrying when the agent is unreachable', async () => {
    await registry.register({ name: 'remote', kind: 'a2a', url: 'http://127.0.0.1:9/a2a' });
    const error = await failure(router.invoke({ agent: 'remote' }, {}, context));
    expect(error).toMatchObject({ retryable: true, code: 'connection_error' });
  });

  it('reports concurrency limits only for agents that set one', async () => {
    await registry.register({ name: 'narrow', kind: 'http', url: 'http://n.test/', maxConcurrency: 2 });
    await registry.register({ name: 'wide', kind: 'http', url: 'http://w.test/' });
    const limits = await router.concurrencyLimits(['narrow', 'wide', 'builtin:echo', 'ghost']);
    expect([...limits]).toEqual([['narrow', 2]]);
  });

  it('lists unknown agent names for the definitions catalog', async () => {
    await registry.register({ name: 'known', kind: 'http', url: 'http://k.test/' });
    const unknown = await registry.unknownAgents(['builtin:echo', 'builtin:nope', 'known', 'ghost', 'ghost']);
    expect(unknown).toEqual(['builtin:nope', 'ghost']);
  });
});
