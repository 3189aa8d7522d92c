import { PgDatabase, type Database } from '@baton/db';
import { StepLeaseService, type ClaimLimits } from '@baton/runs';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { OrchestrationExecutionService } from '../../../libs/execution/src/queue/execution-queue.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Issue 17: claims contend only on the limits in force. Claims are driven directly on the
 * app's StepLeaseService (its own claim loop is stopped, so these are the only claimers):
 * a claim held open does not hold back a claim on another run, and many claims at once
 * still never pass the run, agent and global limits nor take a step twice.
 */
const noAgents: ClaimLimits['agentPlan'] = async () => ({ limits: new Map(), open: new Set(), halfOpen: new Set(), byCapability: new Map() });

/** `count` admitted runs, each with one queued step per entry of `agents` (the agent it names). */
async function insertRuns(db: Database, definitionId: string, count: number, maxParallel: number, agents: Array<string | null>): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `insert into orchestration_runs (definition_id, definition_name, definition_version, owner, input, metadata, execution,
       max_parallel, steps_total, admitted_at, created_at)
     select $1::uuid, 'claims', '1', '', '{}'::jsonb, '{}'::jsonb, '{}'::jsonb, $2::int, $3::int, now(), now() + n * interval '1 millisecond'
       from generate_series(1, $4::int) as n returning id`,
    [definitionId, maxParallel, agents.length, count],
  );
  const runIds = rows.map((r) => r.id);
  await db.query(
    `insert into orchestration_steps (run_id, step_key, position, type, agent, status, depends_on, dependents,
       deps_remaining, is_sink, max_attempts, attempt_budget, queued_at, available_at)
     select r.id, 's' || a.ord, a.ord::int, 'agent', a.agent, 'queued', '{}', '{}', 0, true, 1, 1, now(), now() - interval '1 minute' + (r.ord * interval '1 millisecond')
       from unnest($1::uuid[]) with ordinality as r(id, ord), unnest($2::text[]) with ordinality as a(agent, ord)`,
    [runIds, agents],
  );
  return runIds;
}

describe.each(testDatabaseKinds())('claims under their limits on %s', (kind) => {
  let database: TestDatabase;
  let server: TestApp;
  let leases: StepLeaseService;
  let definitionId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startTestApp(database.db);
    // Stop this app's own claim loop: the test's claims must be the only ones.
    await server.app.get(OrchestrationExecutionService).onApplicationShutdown();
    leases = server.app.get(StepLeaseService);
    const { rows } = await database.db.query<{ id: string }>(
      `insert into orchestration_definitions (name, version, body, content_hash, step_count)
       values ('claims', '1', '{}'::jsonb, 'claims-h', 1) returning id`,
    );
    definitionId = rows[0]!.id;
  });

  beforeEach(async () => {
    await database.db.query(`update orchestration_runs set status = 'cancelled' where status in ('pending', 'running')`);
    await database.db.query(`update orchestration_steps set status = 'cancelled' where status in ('queued', 'running')`);
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  (kind === 'postgres' ? it : it.skip)('lets a claim on another run complete while a claim is held open', async () => {
    // 40 runs of one step, due in order. The held claim locks the runs its scan covers
    // (32 steps) and takes the first; the other claim skips those and takes the next one.
    const runs = await insertRuns(database.db, definitionId, 40, 1, [null]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const isHolding = new Promise<void>((resolve) => (holding = resolve));
    // The agent plan is asked inside the claim's transaction, after its runs are locked.
    const slow = leases.claim('holder', 60, {
      capacity: 1, globalMax: 100,
      agentPlan: async (...args) => {
        holding();
        await held;
        return noAgents(...args);
      },
    });
    await isHolding;
    try {
      const quick = await Promise.race([
        leases.claim('quick', 60, { capacity: 1, globalMax: 100, agentPlan: noAgents }),
        new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 5_000)),
      ]);
      // With one lock for every claim (before issue 17) this claim waited for the held one.
      expect(quick === 'blocked' ? quick : quick.map((s) => s.runId)).toEqual([runs[32]]);
    } finally {
      release();
    }
    expect((await slow).map((s) => s.runId)).toEqual([runs[0]]);
  });

  it('never passes the run, agent and global limits nor claims a step twice under concurrent claims', async () => {
    const globalMax = 9;
    const agentLimit = 3;
    // 300 runs of 2 steps, both at once allowed; the first step names the limited agent.
    // Each claim locks about 16 runs (its scan of 32 steps), so 8 claims take disjoint runs.
    await insertRuns(database.db, definitionId, 300, 2, ['limited', null]);
    const limits: ClaimLimits = {
      capacity: 4,
      globalMax,
      agentPlan: async () => ({ limits: new Map([['limited', agentLimit]]), open: new Set(), halfOpen: new Set(), byCapability: new Map() }),
    };
    const observer = kind === 'postgres' ? new PgDatabase(database.url!, 1) : database.db;
    const seen = new Set<string>();
    try {
      for (let round = 0; round < 6; round++) {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => leases.claim(`claimer-${i}`, 60, limits)));
        // Then one claimer alone until nothing is left to take, as the notified loops would.
        for (let i = 0; i < 5; i++) results.push(await leases.claim('after', 60, limits));
        for (const step of results.flat()) {
          expect(seen.has(step.id)).toBe(false);
          seen.add(step.id);
        }
        const { rows } = await observer.query<{ total: number; agent: number; per_run: number }>(
          `select count(*)::int as total, count(*) filter (where served_by = 'limited')::int as agent,
                  coalesce((select max(n) from (select count(*)::int as n from orchestration_steps
                             where status = 'running' group by run_id) as r), 0) as per_run
             from orchestration_steps where status = 'running'`,
        );
        const counts = rows[0]!;
        expect(counts.total).toBeLessThanOrEqual(globalMax);
        expect(counts.agent).toBeLessThanOrEqual(agentLimit);
        expect(counts.per_run).toBeLessThanOrEqual(2);
        // Each round fills the global and agent slots again: the limits bind, no claim is lost.
        expect(counts.total).toBe(globalMax);
        expect(counts.agent).toBe(agentLimit);
        // Free some slots for the next round, as finishing steps would.
        await observer.query(
          `update orchestration_steps set status = 'completed', finished_at = now()
            where id in (select id from orchestration_steps where status = 'running' order by random() limit 5)`,
        );
      }
    } finally {
      if (observer !== database.db) await observer.close();
    }
  });
});
