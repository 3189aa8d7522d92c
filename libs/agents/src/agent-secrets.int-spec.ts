import { BatonConfig, EgressPolicy, OutboundHttp } from '@baton/common';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { AgentCallError } from './agent.types.js';
import { AgentHeaderBox } from './agent-header-box.js';
import { AgentModeRouterService } from './agent-mode-router.service.js';
import { AgentRegistryService } from './agent-registry.service.js';
import { AgentSecretsSealer } from './agent-secrets.js';
import { AgentRepository } from './agent.repository.js';
import { A2aAgentClient } from './clients/a2a-agent.client.js';
import { BuiltinAgentClient } from './clients/builtin-agent.client.js';
import { HttpAgentClient } from './clients/http-agent.client.js';
import { WorkerAgentClient } from './clients/worker-agent.client.js';

const KEY = 'agent-secrets-spec-key-0123456789abcdef';

/**
 * Issue 13: agent header values at rest. Rows stored in plaintext (before BATON_SECRET_KEY was
 * set) are encrypted at start-up; a value that cannot be decrypted fails the call, never
 * sends the agent a wrong credential or none.
 */
describe.each(testDatabaseKinds())('agent header secrets on %s', (kind) => {
  let database: TestDatabase;
  let outbound: OutboundHttp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    outbound = new OutboundHttp(EgressPolicy.fromConfig(new BatonConfig({})));
  });

  afterAll(async () => {
    await outbound?.close();
    await database?.drop();
  });

  const rawHeaders = async (name: string) =>
    (await database.db.query<{ headers: Record<string, string> }>(`select headers from agents where name = $1::text`, [name])).rows[0]!.headers;

  it('encrypts plaintext header values at start-up once BATON_SECRET_KEY is set', async () => {
    const plain = new AgentRepository(database.db);
    await plain.upsert({ name: 'legacy', kind: 'http', url: 'http://127.0.0.1:9/', capabilities: [], headers: { 'x-api-key': 'legacy-secret' }, trustedOrigins: [] });
    expect(await rawHeaders('legacy')).toEqual({ 'x-api-key': 'legacy-secret' });

    const config = new BatonConfig({ BATON_SECRET_KEY: KEY });
    const sealed = new AgentRepository(database.db, new AgentHeaderBox(KEY));
    await new AgentSecretsSealer(sealed, config).onApplicationBootstrap();
    const stored = (await rawHeaders('legacy'))['x-api-key']!;
    expect(stored).toMatch(/^enc:v1:/);
    expect((await sealed.findByName('legacy'))!.headers).toEqual({ 'x-api-key': 'legacy-secret' });
    // Once sealed, a second start-up has nothing left to do.
    expect(await sealed.countWithPlaintextHeaders()).toBe(0);
  });

  it('fails a call whose header cannot be decrypted, naming the header and the variable', async () => {
    const sealed = new AgentRepository(database.db, new AgentHeaderBox(KEY));
    await sealed.upsert({ name: 'locked', kind: 'http', url: 'http://127.0.0.1:9/', capabilities: [], headers: { authorization: 'Bearer x' }, trustedOrigins: [] });
    const withoutKey = new AgentRepository(database.db);
    const agent = (await withoutKey.findByName('locked'))!;
    expect(agent.headers).toEqual({});
    expect(agent.unreadableHeaders).toEqual(['authorization']);

    const config = new BatonConfig({});
    const egress = EgressPolicy.fromConfig(config);
    const router = new AgentModeRouterService(
      new AgentRegistryService(withoutKey, egress), config, new HttpAgentClient(outbound), new BuiltinAgentClient(), new A2aAgentClient(outbound), new WorkerAgentClient(),
    );
    const error = await router.invoke({ agent: 'locked' }, {}, { runId: 'r', stepId: 's', stepKey: 'k', attempt: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ code: 'secret_unavailable', retryable: false });
    expect((error as Error).message).toMatch(/authorization.*BATON_SECRET_KEY/);
  });
});
