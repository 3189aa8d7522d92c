import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startJsonAgent } from './support/json-agent.js';
import { startGatedAgent } from './support/gated-agent.js';
import { stepOf } from './support/runs.js';
import { ConsoleWatch, ensureDashboardBuilt, launchChromium, screenshotDir } from './support/dashboard-browser.js';

/**
 * The run page against what a real Baton produces (not contract-shaped fixtures): a
 * supervisor pattern's turns, a looping step's iterations, a condition skip, the run tree's
 * budget and a wait step's event, in chromium against a server on PGlite.
 */
const TOKEN = 'dashboard-patterns-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

beforeAll(() => ensureDashboardBuilt(), 60_000);
const ctx = useTestServer('pglite', { BATON_BOOTSTRAP_TOKEN: TOKEN, BATON_POLL_INTERVAL_MS: '200' });

let browser: Browser;
let page: Page;
let consoleWatch: ConsoleWatch;
let critic: Awaited<ReturnType<typeof startJsonAgent>>;
const shots = screenshotDir();
const node = (id: string) => `.react-flow__node[data-id="${id}"]`;
const toggle = (id: string) => page.locator(node(id)).locator('button.node-toggle');
const panel = () => page.getByTestId('step-panel');

async function post(path: string, body: unknown): Promise<any> {
  const answer = await http('POST', `${ctx.url}${path}`, body, AUTH);
  if (![200, 201].includes(answer.status)) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}
const getRun = async (id: string) => (await http('GET', `${ctx.url}/api/v1/runs/${id}`, undefined, AUTH)).body;
/** Polls the run (with the token: auth is on) until `done` holds. */
const waitRun = (id: string, done: (run: any) => boolean = (run) => ['completed', 'failed', 'cancelled'].includes(run.status)) =>
  waitFor(async () => { const run = await getRun(id); return done(run) ? run : undefined; }, { timeoutMs: 30_000, what: `run ${id}` });

beforeAll(async () => {
  // A real HTTP agent on loopback: it scores each round, so the loop ends at the third.
  critic = await startJsonAgent((body) => ({ round: body.round, score: body.round }));
  await post('/api/v1/agents', { name: 'critic', kind: 'http', url: critic.url });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' });
  await context.addInitScript({ content: `sessionStorage.setItem('baton.token', ${JSON.stringify(TOKEN)});` });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  consoleWatch = new ConsoleWatch(page);
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await critic?.close();
});

describe('dashboard: patterns, loops, skips, budgets and waits from a real server (chromium)', () => {
  let runId: string;

  it('shows a supervisor pattern’s turns, a loop’s iterations and a condition skip', async () => {
    const run = await post('/api/v1/runs', {
      plan: {
        name: 'team-loop-skip',
        steps: [
          {
            id: 'team',
            type: 'pattern',
            pattern: 'supervisor',
            supervisor: 'boss',
            max_turns: 6,
            agents: [
              {
                name: 'boss',
                agent: 'builtin:script',
                settings: { items: [{ next: 'writer', input: { draft: 'tides' } }, { next: 'FINISH', output: { done: true, by: 'writer' } }] },
              },
              { name: 'writer', agent: 'builtin:echo' },
            ],
          },
          { id: 'refine', agent: 'critic', depends_on: ['team'], input: { round: '{{ iteration }}' }, loop: { until: 'steps.refine.output.score >= 3', max_iterations: 5 } },
          { id: 'redo', agent: 'builtin:echo', depends_on: ['team'], when: 'steps.team.output.done == false' },
        ],
      },
      input: { topic: 'tides' },
      budget: { max_turns: 3, max_steps: 40, on_exceed: 'fail' },
    });
    runId = run.id;
    const done = await waitRun(run.id);
    // What the server produced, which the page must show.
    expect(done.status).toBe('completed');
    const team = stepOf(done, 'team');
    expect(team.turns.map((t: any) => [t.agent, t.status])).toEqual([['boss', 'completed'], ['writer', 'completed'], ['boss', 'completed']]);
    expect(stepOf(done, 'refine').iterations.map((i: any) => i.status)).toEqual(['completed', 'completed', 'completed']);
    expect(stepOf(done, 'redo')).toMatchObject({ status: 'skipped', skip_reason: 'condition' });

    await page.goto(`${ctx.url}/dashboard/runs/${run.id}`);
    await page.waitForSelector('section.run-page[data-run-status="completed"]');

    // The pattern step: its node says the pattern and the turns; unfolded, one node per turn.
    expect(await page.locator(node('team')).innerText()).toMatch(/supervisor · 3 turns/);
    await toggle('team').click();
    for (const [index, agent] of ['boss', 'writer', 'boss'].entries()) {
      const turn = page.locator(`${node(`team#${index + 1}`)}.sub.status-completed`);
      await turn.waitFor();
      expect(await turn.innerText()).toContain(agent);
    }
    // Its panel lists the turns with agent and status.
    await page.click(node('team'));
    const turns = panel().getByTestId('step-turns');
    await turns.waitFor();
    expect(await turns.locator('li[data-turn]').count()).toBe(3);
    for (const [index, agent] of ['boss', 'writer', 'boss'].entries()) {
      const text = await turns.locator(`li[data-turn="${index + 1}"] summary`).innerText();
      expect(text).toContain(agent);
      expect(text).toContain('completed');
    }
    expect(await panel().innerText()).toMatch(/Turns of supervisor \(3\)/);

    // The looping step: the current iteration on the node, each iteration unfolded and listed.
    expect(await page.locator(node('refine')).innerText()).toMatch(/loop · iteration 3/);
    await toggle('refine').click();
    for (const n of [1, 2, 3]) await page.locator(`${node(`refine@${n}`)}.sub.status-completed`).waitFor();
    await page.click(node('refine'));
    const iterations = panel().getByTestId('step-iterations');
    await iterations.waitFor();
    expect(await iterations.locator('li[data-iteration]').count()).toBe(3);
    expect(await iterations.locator('li[data-iteration="3"] summary').innerText()).toContain('completed');
    // The timeline: one bar per iteration, each ended (not left running past the run's end).
    const refineRow = page.locator('.timeline-row', { has: page.getByRole('rowheader', { name: 'refine', exact: true }) });
    expect(await refineRow.locator('.bar').count()).toBe(3);
    expect(await refineRow.locator('.bar.status-completed').count()).toBe(3);

    // The skipped step says why, on its node and in its panel.
    await page.locator(`${node('redo')}.status-skipped`).waitFor();
    expect(await page.locator(node('redo')).innerText()).toContain('skipped: condition');
    await page.click(node('redo'));
    expect(await panel().getByTestId('skip-reason').innerText()).toMatch(/condition was false/);
    await page.screenshot({ path: join(shots, 'run-pattern.png'), fullPage: true });
  });

  it('appends a pattern’s turns live while it runs', async () => {
    const writer = await startGatedAgent();
    try {
      await post('/api/v1/agents', { name: 'held-writer', kind: 'http', url: writer.url });
      const run = await post('/api/v1/runs', {
        plan: {
          name: 'live-team',
          steps: [{
            id: 'team', type: 'pattern', pattern: 'supervisor', supervisor: 'boss', max_turns: 4,
            agents: [
              { name: 'boss', agent: 'builtin:script', settings: { items: [{ next: 'writer', input: { draft: 'live' } }, { next: 'FINISH' }] } },
              { name: 'writer', agent: 'held-writer' },
            ],
          }],
        },
      });
      await page.goto(`${ctx.url}/dashboard/runs/${run.id}?open=team`);
      // The writer's call is held: the boss's turn is done, the writer's is running.
      await page.locator(`${node('team#1')}.status-completed`).waitFor();
      await page.locator(`${node('team#2')}.status-running`).waitFor();
      expect(await page.locator(node('team#2')).innerText()).toContain('writer');
      expect(await page.locator(node('team#3')).count()).toBe(0);
      await waitFor(async () => writer.inFlight() === 1, { what: 'the writer’s call' });
      writer.release();
      // Released, the writer's turn completes and the boss's last turn is appended, without a reload.
      await page.locator(`${node('team#2')}.status-completed`).waitFor();
      await page.locator(`${node('team#3')}.status-completed`).waitFor();
      await page.waitForSelector('section.run-page[data-run-status="completed"]');
      expect(await page.locator(node('team')).innerText()).toMatch(/supervisor · 3 turns/);
    } finally {
      await writer.close();
    }
  });

  it('shows the run tree’s budget: limits against spent, warned and exceeded, and on_exceed', async () => {
    // The first run: 3 turns of max_turns 3 passed 80 % (warned), nothing exceeded.
    const warnedRun = await getRun(runId);
    expect(warnedRun.budget).toMatchObject({ limits: { max_turns: 3, max_steps: 40 }, spent: { turns: 3 }, warned: ['max_turns'], exceeded: null, on_exceed: 'fail' });
    await page.goto(`${ctx.url}/dashboard/runs/${runId}`);
    const budget = page.getByTestId('run-budget');
    await budget.waitFor();
    const turns = budget.locator('tr[data-limit="max_turns"]');
    expect(await turns.getAttribute('data-state')).toBe('warned');
    expect((await turns.locator('td').allInnerTexts()).slice(1, 3)).toEqual(['3', '3']);
    const steps = budget.locator('tr[data-limit="max_steps"]');
    expect(await steps.getAttribute('data-state')).toBe('ok');
    expect((await steps.locator('td').allInnerTexts()).slice(1, 3)).toEqual([String(warnedRun.budget.spent.steps), '40']);
    expect(await budget.locator('tr[data-limit="max_tokens"]').count()).toBe(0);
    expect(await budget.innerText()).toMatch(/on_exceed: fail\): the step and the run tree fail/);

    // A second run: its supervisor wants a fourth turn past max_turns 3, so the budget stops it.
    const stopped = await post('/api/v1/runs', {
      plan: {
        name: 'over-budget',
        steps: [{
          id: 'team', type: 'pattern', pattern: 'supervisor', supervisor: 'boss', max_turns: 10,
          agents: [
            { name: 'boss', agent: 'builtin:script', settings: { items: [{ next: 'writer' }, { next: 'writer' }, { next: 'FINISH' }] } },
            { name: 'writer', agent: 'builtin:echo' },
          ],
        }],
      },
      budget: { max_turns: 3, on_exceed: 'fail' },
    });
    const failed = await waitRun(stopped.id);
    expect(failed.status).toBe('failed');
    expect(failed.budget).toMatchObject({ exceeded: 'max_turns', spent: { turns: 3 } });
    await page.goto(`${ctx.url}/dashboard/runs/${stopped.id}`);
    await page.locator('[data-testid=run-budget][data-exceeded="max_turns"]').waitFor();
    expect(await page.getByTestId('run-budget').locator('summary').innerText()).toContain('exceeded: max_turns');
    expect(await page.locator('[data-testid=run-budget] tr[data-limit="max_turns"]').getAttribute('data-state')).toBe('exceeded');
    expect(await page.getByTestId('run-error').innerText()).toMatch(/budget exceeded: max_turns/);
    await page.screenshot({ path: join(shots, 'run-budget.png'), fullPage: true });

    // A run without a budget shows none.
    const plain = await post('/api/v1/runs', { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] } });
    await waitRun(plain.id);
    await page.goto(`${ctx.url}/dashboard/runs/${plain.id}`);
    await page.waitForSelector('section.run-page[data-run-status="completed"]');
    expect(await page.getByTestId('run-budget').count()).toBe(0);
  });

  it('shows what a wait step waits for, then its event once it arrives', async () => {
    const run = await post('/api/v1/runs', {
      plan: {
        name: 'wait-for-payment',
        steps: [
          { id: 'paid', type: 'wait', event: 'order.paid', match: { order: '{{ input.order }}' }, timeout_seconds: 600 },
          { id: 'ship', agent: 'builtin:echo', depends_on: ['paid'] },
        ],
      },
      input: { order: 'A-17' },
    });
    await page.goto(`${ctx.url}/dashboard/runs/${run.id}?step=paid`);
    await page.locator(`${node('paid')}.status-waiting`).waitFor();
    // The event's name comes from the run's definition, read after the run itself.
    await page.locator(node('paid'), { hasText: 'wait · order.paid' }).waitFor();
    const waiting = panel().locator('[data-testid=waiting-for][data-reason="event"]');
    await waiting.waitFor();
    const text = await waiting.innerText();
    expect(text).toContain('Waiting for the event order.paid');
    expect(text).toMatch(/until /);
    expect(text).toContain('"order": "A-17"');
    await page.screenshot({ path: join(shots, 'run-wait.png'), fullPage: true });

    // Another order's payment does not wake it; this order's does, live.
    await post('/api/v1/events/external', { name: 'order.paid', data: { order: 'B-2' } });
    await post('/api/v1/events/external', { name: 'order.paid', data: { order: 'A-17', amount: 12 } });
    await page.waitForSelector('section.run-page[data-run-status="completed"]', { timeout: 20_000 });
    await page.locator(`${node('paid')}.status-completed`).waitFor();
    expect(await panel().locator('[data-testid=waiting-for]').count()).toBe(0);
    expect(await panel().getByLabel('step output').innerText()).toContain('"amount": 12');
  });

  it('shows a step parked by an open circuit breaker, and the breaker open on the agents page', async () => {
    // A real HTTP agent that answers 500: one counted failure opens its breaker.
    const sick = createServer((_request, response) => response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"unwell"}'));
    await new Promise<void>((resolve) => sick.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(sick.address() as AddressInfo).port}/`;
      await post('/api/v1/agents', { name: 'sick', kind: 'http', url, breaker: { failure_threshold: 1, reset_seconds: 600 } });
      const run = await post('/api/v1/runs', { plan: { name: 'to-a-sick-agent', steps: [{ id: 'call', agent: 'sick' }] } });
      await waitRun(run.id, (r) => stepOf(r, 'call').wait_reason === 'breaker_open');
      await page.goto(`${ctx.url}/dashboard/runs/${run.id}?step=call`);
      const waiting = panel().locator('[data-testid=waiting-for][data-reason="breaker_open"]');
      await waiting.waitFor();
      expect(await waiting.innerText()).toMatch(/open circuit breaker/);
      await page.goto(`${ctx.url}/dashboard/agents`);
      await page.locator('tr[data-agent="sick"] [data-testid=breaker]', { hasText: /^open$/ }).waitFor();
      await page.screenshot({ path: join(shots, 'agents-breaker.png') });
      await post(`/api/v1/runs/${run.id}/cancel`, {});
    } finally {
      sick.closeAllConnections();
      await new Promise<void>((resolve) => sick.close(() => resolve()));
    }
  });

  it('logged no console error on any page', () => {
    expect(consoleWatch.errors).toEqual([]);
  });
});
