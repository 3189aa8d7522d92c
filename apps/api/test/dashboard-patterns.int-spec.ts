import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startJsonAgent } from './support/json-agent.js';
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
    if (process.env.DUMP_RUN) console.log(JSON.stringify(await getRun(run.id), null, 2));
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

    // The skipped step says why, on its node and in its panel.
    await page.locator(`${node('redo')}.status-skipped`).waitFor();
    expect(await page.locator(node('redo')).innerText()).toContain('skipped: condition');
    await page.click(node('redo'));
    expect(await panel().getByTestId('skip-reason').innerText()).toMatch(/condition was false/);
    await page.screenshot({ path: join(shots, 'run-pattern.png'), fullPage: true });
  });

  it('logged no console error on any page', () => {
    expect(consoleWatch.errors).toEqual([]);
  });
});
