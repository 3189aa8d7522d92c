import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { BUNDLE_DIR, ConsoleWatch, ensureDashboardBuilt, launchChromium, screenshotDir } from './support/dashboard-browser.js';
import { startReceiver } from './support/webhook-receiver.js';

/**
 * The operator dashboard in a real browser (Debian's chromium through playwright-core) against
 * a real Baton on PGlite with auth on: every click goes through the public API.
 */
const TOKEN = 'dashboard-admin-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

beforeAll(() => ensureDashboardBuilt(), 60_000);
const ctx = useTestServer('pglite', {
  BATON_BOOTSTRAP_TOKEN: TOKEN,
  BATON_POLL_INTERVAL_MS: '200',
  BATON_WEBHOOK_BACKOFF_MS: '20',
  BATON_WEBHOOK_POLL_MS: '100',
  BATON_WEBHOOK_MAX_ATTEMPTS: '2',
});

let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleWatch: ConsoleWatch;
const shots = screenshotDir();

async function startPlan(plan: unknown, input: unknown = {}): Promise<string> {
  const answer = await http<{ id: string }>('POST', `${ctx.url}/api/v1/runs`, { plan, input }, AUTH);
  expect(answer.status).toBe(201);
  return answer.body.id;
}

async function runStatus(id: string): Promise<string> {
  return (await http<{ status: string }>('GET', `${ctx.url}/api/v1/runs/${id}`, undefined, AUTH)).body.status;
}

const node = (id: string) => `.react-flow__node[data-id="${id}"]`;

beforeAll(async () => {
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  consoleWatch = new ConsoleWatch(page);
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe('operator dashboard (chromium)', () => {
  it('serves the page at /dashboard and deep links, publicly, with a content security policy', async () => {
    const page = await http('GET', `${ctx.url}/dashboard/runs/00000000-0000-0000-0000-000000000000`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(String(page.body)).toContain('<div id="root">');
    expect((await http('GET', `${ctx.url}/dashboard/assets/missing.js`)).status).toBe(404);
    expect((await http('GET', `${ctx.url}/api/v1/runs`)).status).toBe(401);
  });

  it('ships under 300 kB of compressed JavaScript, the graph library loaded only with a graph', () => {
    const assets = join(BUNDLE_DIR, 'assets');
    const gzipped = (file: string) => gzipSync(readFileSync(join(assets, file)), { level: 9 }).length;
    const scripts = readdirSync(assets).filter((file) => file.endsWith('.js'));
    const entry = /src="\/dashboard\/assets\/([^"]+\.js)"/.exec(readFileSync(join(BUNDLE_DIR, 'index.html'), 'utf8'))![1]!;
    const total = scripts.reduce((sum, file) => sum + gzipped(file), 0);
    process.stdout.write(`dashboard JavaScript, gzip -9: first load ${gzipped(entry)} B, every chunk ${total} B\n`);
    expect(total).toBeLessThan(300_000);
    expect(readFileSync(join(assets, entry), 'utf8')).not.toContain('react-flow__node');
  });

  it('signs in with an API token and keeps it for the session only', async () => {
    await page.goto(`${ctx.url}/dashboard`);
    consoleWatch.expect(/status of 401 .*\/api\/v1\/whoami\)$/);
    await page.fill('#token', 'not-a-token-at-all-0000000000');
    await page.click('button[type=submit]');
    await page.getByText('That token is unknown or revoked.').waitFor();
    await page.fill('#token', TOKEN);
    await page.screenshot({ path: join(shots, 'sign-in.png') });
    await page.click('button[type=submit]');
    await page.getByTestId('whoami').getByText('bootstrap · admin').waitFor();
    const stored = await page.evaluate(() => {
      const browser = globalThis as any; // runs in the page
      return [browser.sessionStorage.getItem('baton.token'), browser.localStorage.getItem('baton.token')];
    });
    expect(stored).toEqual([TOKEN, null]);
  });

  it('shows a new run in the list live, and its graph turns green step by step', async () => {
    await page.goto(`${ctx.url}/dashboard/runs`);
    await page.locator('table.runs').waitFor();
    const steps = ['fetch', 'analyse', 'publish'].map((id, i, all) => ({
      id,
      agent: 'builtin:delay',
      input: { ms: 1500, output: { step: id } },
      ...(i > 0 ? { depends_on: [all[i - 1]] } : {}),
    }));
    const runId = await startPlan({ name: 'three-steps', steps });
    // No reload: the row arrives through the all-runs stream.
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor();
    await row.getByRole('link').click();
    await page.waitForSelector(`${node('fetch')}.status-completed`);
    expect(await page.locator(`${node('publish')}.status-completed`).count()).toBe(0);
    await page.waitForSelector(`${node('analyse')}.status-completed`);
    expect(await page.locator(`${node('publish')}.status-completed`).count()).toBe(0);
    await page.waitForSelector(`${node('publish')}.status-completed`);
    await page.waitForSelector('section.run-page[data-run-status="completed"]');
    await page.click(node('analyse'));
    await page.locator('[data-testid=step-panel] [data-step="analyse"]').waitFor();
    expect(page.url()).toContain('?step=analyse');
    // Keyboard: nodes take focus, and Enter selects one.
    await page.focus(node('publish'));
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=step-panel] [data-step="publish"]').waitFor();
    await page.click(node('analyse'));
    await page.screenshot({ path: join(shots, 'run.png'), fullPage: true });
  });

  it('shows a failed step’s error in the panel, and retrying it from the panel completes the run', async () => {
    const runId = await startPlan({
      steps: [
        { id: 'prepare', agent: 'builtin:echo' },
        { id: 'flaky', agent: 'builtin:fail', depends_on: ['prepare'], input: { times: 1, message: 'upstream said no', retryable: false } },
      ],
    });
    await waitFor(async () => (await runStatus(runId)) === 'failed', { what: 'the run to fail' });
    // A deep link straight to the step.
    await page.goto(`${ctx.url}/dashboard/runs/${runId}?step=flaky`);
    const panel = page.getByTestId('step-panel');
    await panel.getByTestId('step-error').getByText('upstream said no').waitFor();
    await page.waitForSelector(`${node('flaky')}.status-failed`);
    await page.screenshot({ path: join(shots, 'failed-step.png') });
    await panel.getByRole('button', { name: 'Retry step' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry step' }).click();
    await page.getByText('Step flaky retried').waitFor();
    await page.waitForSelector('section.run-page[data-run-status="completed"]');
    await page.waitForSelector(`${node('flaky')}.status-completed`);
    expect(await runStatus(runId)).toBe('completed');
  });

  it('decides an approval in the inbox: an edited payload the schema refuses, then a valid one', async () => {
    const runId = await startPlan({
      steps: [
        { id: 'draft', agent: 'builtin:transform', input: { title: 'hi', body: 'Tides rise twice a day.' } },
        {
          id: 'review',
          type: 'checkpoint',
          depends_on: ['draft'],
          checkpoint: {
            prompt: 'Publish {{ steps.draft.output.title }}?',
            payload: '{{ steps.draft.output }}',
            allow_edit: true,
            schema: {
              type: 'object',
              required: ['title'],
              properties: { title: { type: 'string', minLength: 3 }, body: { type: 'string' }, urgent: { type: 'boolean' } },
            },
            timeout_seconds: 3600,
            on_timeout: 'reject',
          },
        },
      ],
    });
    const approval = await waitFor(
      async () => (await http('GET', `${ctx.url}/api/v1/approvals?status=pending&runId=${runId}`, undefined, AUTH)).body.approvals[0],
      { what: 'the approval' },
    );
    await page.getByRole('link', { name: 'Approvals' }).click();
    const card = page.locator(`article[data-approval="${approval.id}"]`);
    await card.getByText('Publish hi?').waitFor();
    await card.getByTestId('deadline').getByText(/left/).waitFor();
    await card.getByLabel('Edit the payload before approving').check();
    await card.locator('#field-title').fill('ab');
    consoleWatch.expect(/status of 400 .*\/decision\)$/);
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.locator('#field-title-error').getByText('must NOT have fewer than 3 characters').waitFor();
    expect(await runStatus(runId)).toBe('waiting');
    await page.screenshot({ path: join(shots, 'approvals.png'), fullPage: true });
    await card.locator('#field-title').fill('Tides, explained');
    await card.getByLabel('Comment').fill('retitled');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.waitFor({ state: 'detached' });
    const decidedRow = page.locator(`table.decided tr[data-approval="${approval.id}"]`);
    await decidedRow.getByText('bootstrap').waitFor();
    await decidedRow.getByText('retitled').waitFor();
    await waitFor(async () => (await runStatus(runId)) === 'completed', { what: 'the run to complete' });
    const run = await http('GET', `${ctx.url}/api/v1/runs/${runId}`, undefined, AUTH);
    expect(run.body.output.review).toEqual({ title: 'Tides, explained', body: 'Tides rise twice a day.' });
  });

  it('cancels a run from its page after confirmation', async () => {
    const runId = await startPlan({ steps: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 60_000 } }] });
    await page.goto(`${ctx.url}/dashboard/runs/${runId}`);
    await page.waitForSelector(`${node('wait')}.status-running`);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    expect(await runStatus(runId)).toBe('running');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByText('Run cancelled.').waitFor();
    await page.waitForSelector('section.run-page[data-run-status="cancelled"]');
    await page.waitForSelector(`${node('wait')}.status-cancelled`);
    expect(await runStatus(runId)).toBe('cancelled');
  });

  it('shows definitions (with a start form) and agents', async () => {
    const saved = await http('POST', `${ctx.url}/api/v1/definitions`, {
      name: 'fan-in',
      version: '1.0.0',
      steps: [
        { id: 'a', agent: 'builtin:echo' },
        { id: 'b', agent: 'builtin:echo' },
        { id: 'merge', agent: 'builtin:transform', depends_on: ['a', 'b'] },
      ],
    }, AUTH);
    expect(saved.status).toBe(201);
    await page.getByRole('link', { name: 'Definitions' }).click();
    await page.getByRole('link', { name: 'fan-in' }).click();
    await page.waitForSelector(node('merge'));
    await page.fill('#run-input', '{"topic": "tides"}');
    await page.screenshot({ path: join(shots, 'definition.png'), fullPage: true });
    await page.getByRole('button', { name: /Start run of fan-in/ }).click();
    await page.waitForSelector('section.run-page[data-run-status="completed"]');
    const runId = page.url().split('/runs/')[1]!.split('?')[0]!;
    expect((await http('GET', `${ctx.url}/api/v1/runs/${runId}`, undefined, AUTH)).body.input).toEqual({ topic: 'tides' });

    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: 'builtin:delay' }).waitFor();
    await page.screenshot({ path: join(shots, 'agents.png') });
  });

  it('shows a webhook’s dead deliveries and redelivers one once the receiver is back', async () => {
    const receiver = await startReceiver();
    try {
      receiver.setDown(500);
      const created = await http('POST', `${ctx.url}/api/v1/webhooks`, { url: receiver.url, events: ['run.completed'] }, AUTH);
      receiver.secret = created.body.secret;
      const runId = await startPlan({ steps: [{ id: 'only', agent: 'builtin:echo' }] });
      const dead = await waitFor(
        async () => (await http('GET', `${ctx.url}/api/v1/webhooks/${created.body.id}/deliveries?status=dead`, undefined, AUTH)).body.items[0],
        { what: 'a dead delivery' },
      );
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await page.getByRole('link', { name: receiver.url }).click();
      await page.getByLabel('Status').selectOption('dead');
      const row = page.locator(`tr[data-delivery="${dead.id}"]`);
      await row.getByText('dead').waitFor();
      await page.screenshot({ path: join(shots, 'webhooks.png') });
      receiver.setDown(null);
      await row.getByRole('button', { name: 'Redeliver' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Redeliver' }).click();
      await page.getByText('queued again').waitFor();
      await waitFor(() => receiver.forRun(runId).length === 1, { what: 'the redelivery' });
      await page.getByLabel('Status').selectOption('');
      await row.getByText('delivered').waitFor({ timeout: 1000 }).catch(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await row.getByText('delivered').waitFor();
      });
    } finally {
      await receiver.close();
    }
  });

  it('reads on a phone, in the dark theme', async () => {
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.locator('table.runs tbody tr').nth(5).waitFor();
    await page.screenshot({ path: join(shots, 'runs.png') });
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.locator('table.runs tbody tr').first().waitFor();
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.dataset.theme)).toBe('dark');
    await page.screenshot({ path: join(shots, 'runs-phone-dark.png'), fullPage: true });
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  it('logged no console errors', () => {
    expect(consoleWatch.errors).toEqual([]);
  });
});
