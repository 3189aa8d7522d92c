import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { ConsoleWatch, ensureDashboardBuilt, launchChromium, screenshotDir } from './support/dashboard-browser.js';

/**
 * The dashboard's second pass, in chromium against a real Baton on PGlite: for_each items and
 * child runs unfolded in a run's graph, the runs list's time filter sent to the API, the
 * all-runs stream opened from "now", and one definition's versions.
 */
const TOKEN = 'dashboard-unfold-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

beforeAll(() => ensureDashboardBuilt(), 60_000);
const ctx = useTestServer('pglite', { BATON_BOOTSTRAP_TOKEN: TOKEN, BATON_POLL_INTERVAL_MS: '200' });

let browser: Browser;
let page: Page;
let consoleWatch: ConsoleWatch;
const shots = screenshotDir();
const node = (id: string) => `.react-flow__node[data-id="${id}"]`;
const toggle = (id: string) => page.locator(node(id)).locator('button.node-toggle');

async function post(path: string, body: unknown): Promise<any> {
  const answer = await http('POST', `${ctx.url}${path}`, body, AUTH);
  expect([200, 201]).toContain(answer.status);
  return answer.body;
}

beforeAll(async () => {
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' });
  // Signed in already: the token is in this tab's sessionStorage, as the sign-in page leaves it.
  await context.addInitScript({ content: `sessionStorage.setItem('baton.token', ${JSON.stringify(TOKEN)});` });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  consoleWatch = new ConsoleWatch(page);
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe('dashboard: unfolding, time filter, live from now, versions (chromium)', () => {
  it('unfolds a for_each step into its items and a child-run step into the child run’s steps, live', async () => {
    await post('/api/v1/definitions', {
      name: 'child-flow',
      version: '1',
      steps: [
        // Long enough for the checks before it on a loaded machine: the child must still run.
        { id: 'c1', agent: 'builtin:delay', input: { ms: 8000, output: 'one' } },
        { id: 'c2', agent: 'builtin:delay', depends_on: ['c1'], input: { ms: 200, output: 'two' } },
      ],
    });
    const run = await post('/api/v1/runs', {
      plan: {
        name: 'fan-and-child',
        steps: [
          { id: 'fan', agent: 'builtin:echo', for_each: '{{ input.items }}' },
          { id: 'kid', type: 'orchestration', definition: { name: 'child-flow' }, depends_on: ['fan'] },
        ],
      },
      input: { items: ['alpha', 'beta', 'gamma'] },
    });
    await page.goto(`${ctx.url}/dashboard/runs/${run.id}`);
    await page.waitForSelector(`${node('fan')}.status-completed`);
    expect(await page.locator('.react-flow__node.sub').count()).toBe(0);

    // The for_each step: one node per item, completed, with its output.
    await toggle('fan').click();
    for (const [index, item] of ['alpha', 'beta', 'gamma'].entries()) {
      await page.waitForSelector(`${node(`fan[${index}]`)}.status-completed.sub`);
      expect(await page.locator(node(`fan[${index}]`)).innerText()).toContain(item);
    }
    expect(await toggle('fan').getAttribute('aria-expanded')).toBe('true');
    // The toggle does not select the step; clicking an item selects its for_each step.
    expect(page.url()).not.toContain('step=');
    await page.click(node('fan[1]'));
    await page.locator('[data-testid=step-panel] [data-step="fan"]').waitFor();

    // The child-run step: the child run's steps, loaded from the API and updated while it runs.
    await page.waitForSelector(`${node('kid')}.status-waiting, ${node('kid')}.status-running`);
    await toggle('kid').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${node('kid/c1')}.sub`);
    await page.waitForSelector(`${node('kid/c2')}.sub:not(.status-completed)`);
    await page.waitForSelector(`${node('kid/c2')}.status-completed`, { timeout: 20_000 });
    await page.waitForSelector('section.run-page[data-run-status="completed"]');
    await page.screenshot({ path: join(shots, 'run-unfolded.png'), fullPage: true });

    // Folding hides the items again; a child run's step opens the child run at that step.
    await toggle('fan').click();
    await waitFor(async () => (await page.locator(node('fan[0]')).count()) === 0, { what: 'the items to fold' });
    const child = (await http('GET', `${ctx.url}/api/v1/runs/${run.id}`, undefined, AUTH)).body.steps.find((s: any) => s.id === 'kid').childRunId;
    await page.click(node('kid/c2'));
    await waitFor(async () => page.url().endsWith(`/dashboard/runs/${child}?step=c2`), { what: `the child run, at ${page.url()}` }).catch((error) => { throw new Error(`${error.message} (at ${page.url()})`); });
    await page.locator('[data-testid=step-panel] [data-step="c2"]').waitFor();
  });

  it('sends the runs list’s time filter to the API and opens the all-runs stream from now', async () => {
    const old = await post('/api/v1/runs', { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] } });
    await ctx.database.db.query(`update orchestration_runs set created_at = now() - interval '3 days' where id = $1::uuid`, [old.id]);
    const fresh = await post('/api/v1/runs', { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] } });

    const stream = page.waitForRequest((request) => /\/api\/v1\/events\?after=now&/.test(request.url()));
    await page.goto(`${ctx.url}/dashboard/runs`);
    await stream;
    await page.locator(`tr[data-run="${old.id}"]`).waitFor();

    const filtered = page.waitForRequest((request) => /\/api\/v1\/runs\?.*createdAfter=/.test(request.url()));
    await page.getByLabel('Started').selectOption('24h');
    const sent = new URL((await filtered).url()).searchParams.get('createdAfter')!;
    expect(Math.abs(Date.now() - 86_400_000 - Date.parse(sent))).toBeLessThan(60_000);
    await page.locator(`tr[data-run="${fresh.id}"]`).waitFor();
    await waitFor(async () => (await page.locator(`tr[data-run="${old.id}"]`).count()) === 0, { what: 'the old run to be filtered out' });
    expect(page.url()).toContain('since=24h');
  });

  it('lists a definition’s versions and opens an older one', async () => {
    for (const version of ['1.0.0', '1.1.0']) {
      await post('/api/v1/definitions', {
        name: 'two-versions',
        version,
        description: `release ${version}`,
        steps: [{ id: 'only', agent: 'builtin:echo' }, ...(version === '1.1.0' ? [{ id: 'more', agent: 'builtin:echo', depends_on: ['only'] }] : [])],
      });
    }
    await page.goto(`${ctx.url}/dashboard/definitions/two-versions`);
    const versions = page.getByTestId('definition-versions');
    await versions.locator('tr[data-version="1.0.0"]').waitFor();
    expect(await versions.locator('tbody tr').count()).toBe(2);
    expect(await versions.locator('tr[data-version="1.1.0"]').getAttribute('aria-current')).toBe('true');
    await page.screenshot({ path: join(shots, 'definition-versions.png'), fullPage: true });
    await versions.getByRole('link', { name: '1.0.0' }).click();
    await page.waitForURL('**/dashboard/definitions/two-versions?version=1.0.0');
    await versions.locator('tr[data-version="1.0.0"][aria-current="true"]').waitFor();
    await page.getByRole('heading', { name: /two-versions @1\.0\.0/ }).waitFor();
    expect(await page.locator(node('more')).count()).toBe(0);
  });

  it('logged no console error on any page', () => {
    expect(consoleWatch.errors).toEqual([]);
  });
});
