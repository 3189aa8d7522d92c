import { BatonConfig } from '@baton/common';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import type { PolicyDecision, PolicyRequest } from '../policy-engine.js';
import { DecisionLogService } from './decision-log.service.js';
import { PolicyDecisionRepository } from './policy-decision.repository.js';

const request = (action: PolicyRequest['action'], id = 't-1'): PolicyRequest => ({
  principal: { type: 'Token', id, name: 'ci', role: 'viewer' },
  action,
  resource: { type: 'Route', id: 'POST /api/v1/tokens' },
});
const deny: PolicyDecision = { allowed: false, version: '7', reasons: ['no-viewers'], errors: [] };
const allow: PolicyDecision = { allowed: true, version: '7', reasons: ['admins-all'], errors: [] };

/**
 * The decision log keeps denies and sensitive allows, writes them off the request path in
 * batches, and does not lose what is queued on a normal shutdown.
 */
describe.each(testDatabaseKinds())('the policy decision log on %s', (kind) => {
  let database: TestDatabase;
  let repository: PolicyDecisionRepository;
  const count = async () => Number((await database.db.query<{ n: string }>('select count(*) as n from policy_decisions')).rows[0]!.n);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    repository = new PolicyDecisionRepository(database.db);
  });
  afterAll(() => database?.drop());
  beforeEach(() => database.db.query('delete from policy_decisions'));

  it('queues without writing, then writes everything queued when the module is destroyed', async () => {
    const log = new DecisionLogService(repository, new BatonConfig({}));
    for (let i = 0; i < 5; i += 1) log.record(request('token.manage', `t-${i}`), deny);
    log.record(request('read'), allow); // an allowed read: not sensitive, not logged
    log.record(request('policy.manage'), allow); // a sensitive allow: logged
    expect(await count()).toBe(0);
    await log.onModuleDestroy();
    expect(await count()).toBe(6);
    const [newest] = await repository.list({ limit: 1 });
    expect(newest).toMatchObject({ principal: 'Baton::Token::"t-1"', action: 'policy.manage', decision: 'allow', policyVersion: '7', reasons: ['admins-all'] });
    expect(await repository.list({ decision: 'deny', action: 'token.manage', limit: 10 })).toHaveLength(5);
  });

  it('keeps a batch the database refused and writes it on the next flush', async () => {
    let failures = 1;
    const flaky = Object.create(repository) as PolicyDecisionRepository;
    flaky.insertMany = async (batch) => {
      if (failures-- > 0) throw new Error('connection refused');
      return repository.insertMany(batch);
    };
    const log = new DecisionLogService(flaky, new BatonConfig({}));
    log.record(request('token.manage'), deny);
    await log.flush();
    expect(await count()).toBe(0);
    await log.onModuleDestroy();
    expect(await count()).toBe(1);
  });

  it('prunes rows older than the retention', async () => {
    await repository.insertMany([
      { principal: 'p', action: 'read', resource: 'r', decision: 'deny', policyVersion: '1', reasons: [], errors: [], at: new Date(Date.now() - 40 * 86_400_000) },
      { principal: 'p', action: 'read', resource: 'r', decision: 'deny', policyVersion: '1', reasons: [], errors: [], at: new Date() },
    ]);
    expect(await repository.prune(30)).toBe(1);
    expect(await count()).toBe(1);
  });
});
