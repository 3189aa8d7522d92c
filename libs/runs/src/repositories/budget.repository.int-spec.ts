import { randomUUID } from 'node:crypto';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { BudgetRepository } from './budget.repository.js';
import { RunRepository } from './run.repository.js';

/**
 * The budget's guarded statements under concurrency: many callers racing on one tree's row
 * (as parallel for_each items and child runs do) never take more than the limit allows.
 */
describe.each(testDatabaseKinds())('budget statements on %s', (kind) => {
  let database: TestDatabase;
  let budgets: BudgetRepository;
  let runs: RunRepository;
  let definitionId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    budgets = new BudgetRepository(database.db);
    runs = new RunRepository(database.db);
    const { rows } = await database.db.query<{ id: string }>(
      `insert into orchestration_definitions (name, version, body, content_hash, step_count)
       values ('budgets', '1', '{}'::jsonb, 'h', 1) returning id`,
    );
    definitionId = rows[0]!.id;
  });

  afterAll(() => database?.drop());

  async function rootRun(limits: Record<string, number>): Promise<string> {
    return database.db.transaction(async (tx) => {
      const run = await runs.insert(
        {
          definitionId, definitionName: 'budgets', definitionVersion: '1', owner: '', input: {}, metadata: {},
          execution: {} as never, maxParallel: 4, idempotencyKey: null, parentRunId: null, parentStepId: null,
          stepsTotal: 1, submittedBy: null,
        },
        tx,
      );
      await budgets.insert(run!.id, { limits, onExceed: 'fail' }, tx);
      return run!.id;
    });
  }

  it('lets concurrent step admissions take exactly max_steps', async () => {
    const root = await rootRun({ max_steps: 5 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => budgets.admitStep(root, { id: randomUUID(), attempt: 1, runId: root })),
    );
    expect(results.filter((r) => r.counted)).toHaveLength(5);
    expect((await budgets.find(root))!.spent.steps).toBe(5);
  });

  it('counts one attempt once, however often it is admitted', async () => {
    const root = await rootRun({ max_steps: 5 });
    const step = { id: randomUUID(), attempt: 1, runId: root };
    expect(await budgets.admitStep(root, step)).toEqual({ fresh: true, counted: true });
    expect(await budgets.admitStep(root, step)).toEqual({ fresh: false, counted: false });
    expect(await budgets.admitStep(root, { ...step, attempt: 2 })).toEqual({ fresh: true, counted: true });
    expect((await budgets.find(root))!.spent.steps).toBe(2);
  });

  it('lets one probe call run before any call settled, then reserves the largest call', async () => {
    const root = await rootRun({ max_tokens: 1000 });
    const probes = await Promise.all(Array.from({ length: 10 }, () => budgets.reserve(root)));
    expect(probes.filter((r) => r !== null)).toEqual([{ tokens: 0, cost: 0 }]);
    await budgets.settle(root, { tokens: 0, cost: 0 }, { tokens: 200, cost: 0 }, true);
    // 200 spent; each call reserves 200: four more fit under 1000, however many race for it.
    const reserved = await Promise.all(Array.from({ length: 12 }, () => budgets.reserve(root)));
    expect(reserved.filter((r) => r !== null)).toHaveLength(4);
    const state = (await budgets.find(root))!;
    expect(state.reserved).toEqual({ tokens: 800, cost: 0, calls: 4, steps: 0 });
    // Settling releases exactly the reservation and adds what was spent.
    await budgets.settle(root, { tokens: 200, cost: 0 }, { tokens: 150, cost: 0 }, true);
    expect((await budgets.find(root))!).toMatchObject({ reserved: { tokens: 600, calls: 3 }, spent: { tokens: 350 }, largestCall: { tokens: 200 } });
  });

  it('does not serialize calls of a tree that limits neither tokens nor cost', async () => {
    const root = await rootRun({ max_steps: 10 });
    const reserved = await Promise.all(Array.from({ length: 6 }, () => budgets.reserve(root)));
    expect(reserved.every((r) => r !== null)).toBe(true);
  });

  it('admits turns up to max_turns, whoever races for them', async () => {
    const root = await rootRun({ max_turns: 3 });
    const turns = await Promise.all(Array.from({ length: 8 }, () => budgets.admitTurn(root)));
    expect(turns.filter((t) => t !== null)).toHaveLength(3);
    expect((await budgets.find(root))!.spent.turns).toBe(3);
  });

  it('holds a child run\'s steps, spends its steps from the hold and gives back the rest', async () => {
    const root = await rootRun({ max_steps: 6 });
    const child = await rootRun({ max_steps: 1 }); // any run row will do as the child
    expect(await database.db.transaction((tx) => budgets.holdForChild(root, child, 4, tx))).toBe(true);
    // 4 held of 6: a second child of 3 does not fit, and the root's own steps have 2 left.
    const other = await rootRun({ max_steps: 1 });
    expect(await database.db.transaction((tx) => budgets.holdForChild(root, other, 3, tx))).toBe(false);
    expect((await budgets.admitStep(root, { id: randomUUID(), attempt: 1, runId: child })).counted).toBe(true);
    expect((await budgets.find(root))!).toMatchObject({ spent: { steps: 1 }, reserved: { steps: 3 } });
    const own = await Promise.all(Array.from({ length: 4 }, () => budgets.admitStep(root, { id: randomUUID(), attempt: 1, runId: root })));
    expect(own.filter((r) => r.counted)).toHaveLength(2);
    await database.db.transaction((tx) => budgets.releaseHold(child, tx));
    expect((await budgets.find(root))!).toMatchObject({ spent: { steps: 3 }, reserved: { steps: 0 } });
    // A tree without max_steps holds nothing and refuses nothing.
    const unlimited = await rootRun({ max_tokens: 10 });
    expect(await database.db.transaction((tx) => budgets.holdForChild(unlimited, other, 50, tx))).toBe(true);
  });

  it('raises limits, clears the exceeded mark and forgets the raised limit\'s warning', async () => {
    const root = await rootRun({ max_tokens: 100, max_steps: 3 });
    await database.db.transaction(async (tx) => {
      expect(await budgets.markWarned(root, 'max_tokens', tx)).toBe(true);
      expect(await budgets.markWarned(root, 'max_tokens', tx)).toBe(false);
      await budgets.markWarned(root, 'max_steps', tx);
      expect(await budgets.markExceeded(root, 'max_tokens', tx)).toBe(true);
      expect(await budgets.markExceeded(root, 'max_steps', tx)).toBe(false);
    });
    const raised = await database.db.transaction((tx) => budgets.raise(root, { limits: { max_tokens: 500 } }, tx));
    expect(raised).toMatchObject({ limits: { max_tokens: 500, max_steps: 3 }, exceeded: null, warned: ['max_steps'], onExceed: 'fail' });
  });
});
