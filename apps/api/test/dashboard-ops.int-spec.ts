import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { startGatedAgent } from './support/gated-agent.js';
import { ConsoleWatch, ensureDashboardBuilt, launchChromium, screenshotDir } from './support/dashboard-browser.js';

/**
 * The dashboard's operations pages in chromium against a real Baton on PGlite: agent health,
 * a running for_each step's items, unfolded steps kept in the address, schedules, worker
 * nodes and the system's mode (mode changes, heartbeat, doctor, drain), each acted on by an
 * admin and refused (the API's 403, shown) for a viewer.
 */
const TOKEN = 'dashboard-ops-token-0123456789abcdef';
const REGISTRATION = 'dashboard-ops-node-registration';
const AUTH = { authorization: `Bearer ${TOKEN}` };

beforeAll(() => ensureDashboardBuilt(), 60_000);
const ctx = useTestServer('pglite', {
  BATON_BOOTSTRAP_TOKEN: TOKEN,
  BATON_POLL_INTERVAL_MS: '200',
  BATON_WORKER_CONCURRENCY: '4',
  BATON_NODE_REGISTRATION_TOKEN: REGISTRATION,
});

let browser: Browser;
let page: Page;
let viewer: Page;
let consoleWatch: ConsoleWatch;
let viewerWatch: ConsoleWatch;
const shots = screenshotDir();
const node = (id: string) => `.react-flow__node[data-id="${id}"]`;

async function post(path: string, body: unknown, expected = [200, 201]): Promise<any> {
  const answer = await http('POST', `${ctx.url}${path}`, body, AUTH);
  expect(expected).toContain(answer.status);
  return answer.body;
}

async function signedIn(token: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' });
  await context.addInitScript({ content: `sessionStorage.setItem('baton.token', ${JSON.stringify(token)});` });
  const opened = await context.newPage();
  opened.setDefaultTimeout(15_000);
  return { context, page: opened };
}

/** Clicks an action button, then the confirm button of its dialog, and returns the notice shown. */
async function confirm(on: Page, scope: ReturnType<Page['locator']> | Page, label: string, confirmLabel = label): Promise<string> {
  // The previous action's notice may still be shown: the answer is the first notice after it.
  const notices = on.locator('.notice.ok, .notice.error');
  const before = (await notices.count()) > 0 ? await notices.last().innerText() : null;
  await scope.getByRole('button', { name: label, exact: true }).click();
  await on.getByRole('dialog').getByRole('button', { name: confirmLabel, exact: true }).click();
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = (await notices.count()) > 0 ? await notices.last().innerText() : null;
    if (text !== null && text !== before) return text;
    if (Date.now() > deadline) throw new Error(`no new notice after ${label} (still: ${text})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  browser = await launchChromium();
  page = (await signedIn(TOKEN)).page;
  consoleWatch = new ConsoleWatch(page);
  const token = await post('/api/v1/tokens', { name: 'ops-viewer', role: 'viewer' });
  viewer = (await signedIn(token.token)).page;
  viewerWatch = new ConsoleWatch(viewer);
  // The viewer's refused actions are answered 403 on purpose; the browser logs each one.
  viewerWatch.expect(/status of 403/);
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe('dashboard: operations pages (chromium)', () => {
  it('shows each agent’s calls in flight, slots used and free, and recent failures', async () => {
    const agent = await startGatedAgent();
    try {
      await post('/api/v1/agents', { name: 'gated', kind: 'http', url: agent.url, maxConcurrency: 2 });
      const busy = await post('/api/v1/runs', {
        plan: { steps: ['a', 'b', 'c'].map((id) => ({ id, agent: 'gated' })), orchestration: { execution: { concurrency: { maxParallel: 3 } } } },
      });
      const failing = await post('/api/v1/runs', { plan: { steps: [{ id: 'boom', agent: 'builtin:fail', input: { message: 'agent said no', retryable: false } }] } });
      await waitFor(async () => agent.inFlight() === 2, { what: 'two held calls' });

      await page.goto(`${ctx.url}/dashboard/agents`);
      const gated = page.locator('tr[data-agent="gated"]');
      await gated.locator('[data-testid=in-flight]', { hasText: /^2$/ }).waitFor();
      expect(await gated.getByTestId('slots').innerText()).toBe('2 / 0');
      expect(await gated.getByTestId('breaker').innerText()).toBe('closed');
      const fail = page.locator('tr[data-agent="builtin:fail"]');
      await fail.locator('[data-testid=failures]', { hasText: /^1$/ }).waitFor();
      expect(await page.locator('tr[data-agent="builtin:echo"]').getByTestId('slots').innerText()).toBe('0 / unlimited');
      await page.screenshot({ path: join(shots, 'agents-health.png') });

      // Releasing the calls frees the slots; the page follows within its refresh.
      agent.release();
      await gated.locator('[data-testid=in-flight]', { hasText: /^0$/ }).waitFor({ timeout: 20_000 });
      expect(await gated.getByTestId('slots').innerText()).toBe('0 / 2');

      // One agent: its recent failures, each a link to the failed step.
      await fail.getByRole('link', { name: 'builtin:fail' }).click();
      const failures = page.getByTestId('agent-failures');
      await failures.waitFor();
      expect(await failures.innerText()).toContain('agent said no');
      await failures.getByRole('link').first().click();
      await page.waitForURL(`**/dashboard/runs/${failing.id}?step=boom`);
      await page.locator('[data-testid=step-panel] [data-step="boom"]').waitFor();
      expect((await http('GET', `${ctx.url}/api/v1/runs/${busy.id}`, undefined, AUTH)).body.status).not.toBe('failed');
    } finally {
      await agent.close();
    }
  });

  it('shows a running for_each step’s items as they finish, and keeps unfolded steps in the address', async () => {
    const run = await post('/api/v1/runs', {
      plan: {
        steps: [
          { id: 'fan', agent: 'builtin:delay', for_each: '{{ input.items }}', input: { ms: '{{ item }}', output: '{{ index }}' } },
          { id: 'after', agent: 'builtin:echo', depends_on: ['fan'] },
        ],
      },
      // The middle item runs long enough to be seen running on a loaded machine.
      input: { items: [50, 12_000, 50] },
    });
    // Unfolded from the address alone: a shared link opens with the items shown.
    await page.goto(`${ctx.url}/dashboard/runs/${run.id}?open=fan&step=fan`);
    await page.waitForSelector(`${node('fan')}.status-running`);
    await page.waitForSelector(`${node('fan[0]')}.status-completed.sub`);
    await page.waitForSelector(`${node('fan[2]')}.status-completed.sub`);
    await page.waitForSelector(`${node('fan[1]')}.status-running.sub`).catch(async (error) => {
      throw new Error(`${error.message}; fan[1] is ${await page.locator(node('fan[1]')).getAttribute('class')}`);
    });
    expect(await page.locator(`${node('fan')}.status-running`).count()).toBe(1);
    expect(await page.getByTestId('step-items').innerText()).toMatch(/^2 of 3 completed, 1 running, 0 failed/);
    await page.screenshot({ path: join(shots, 'run-items.png'), fullPage: true });

    // A reload keeps them; the step ends and its items take their outputs.
    await page.reload();
    await page.waitForSelector(`${node('fan[1]')}.sub`);
    await page.waitForSelector(`${node('fan[1]')}.status-completed`, { timeout: 30_000 });
    await page.waitForSelector('section.run-page[data-run-status="completed"]');
    // Folding drops it from the address.
    await page.locator(node('fan')).locator('button.node-toggle').click();
    await waitFor(async () => !new URL(page.url()).searchParams.has('open'), { what: 'open= to leave the address' });
    expect(await page.locator(node('fan[0]')).count()).toBe(0);
  });

  it('lists schedules and steers one: next fires, trigger, pause, its fires; a viewer is refused', async () => {
    const schedule = await post('/api/v1/schedules', {
      name: 'nightly-report',
      plan: { name: 'report', steps: [{ id: 'only', agent: 'builtin:echo' }] },
      cron: '30 2 * * *',
      timezone: 'Europe/Paris',
      input: { scope: 'all' },
    });
    await page.goto(`${ctx.url}/dashboard/schedules`);
    const row = page.locator('tr[data-schedule="nightly-report"]');
    await row.waitFor();
    expect(await row.innerText()).toContain('30 2 * * * (Europe/Paris)');
    await row.getByRole('link', { name: 'nightly-report' }).click();
    await page.waitForURL(`**/dashboard/schedules/${schedule.id}`);
    const detail = page.getByTestId('schedule');
    await detail.getByTestId('next-fires').locator('li').nth(4).waitFor();

    expect(await confirm(page, detail, 'Trigger now', 'Trigger now')).toMatch(/^Fired: /);
    const fire = detail.locator('tr[data-fire="trigger"]');
    await fire.waitFor();
    await fire.getByRole('link').waitFor();
    expect(await confirm(page, detail, 'Pause')).toContain('nightly-report paused.');
    await row.locator('.badge.status-paused').waitFor();
    await page.screenshot({ path: join(shots, 'schedules.png'), fullPage: true });
    expect(await confirm(page, detail, 'Unpause')).toContain('unpaused');

    await viewer.goto(`${ctx.url}/dashboard/schedules/${schedule.id}`);
    const refused = await confirm(viewer, viewer.getByTestId('schedule'), 'Trigger now');
    expect(refused).toMatch(/^role viewer may not POST/);
    const fires = (await http('GET', `${ctx.url}/api/v1/schedules/${schedule.id}/history`, undefined, AUTH)).body.fires;
    expect(fires).toHaveLength(1);
  });

  it('lists worker nodes and drains one; a viewer is refused', async () => {
    const boot = await http('POST', `${ctx.url}/api/v1/nodes/register`, { name: 'gpu-box', capabilities: ['resize'], labels: { zone: 'a' }, max_concurrent_jobs: 2 }, { authorization: `Bearer ${REGISTRATION}` });
    expect(boot.status).toBe(201);
    const id = boot.body.node_id;

    await viewer.goto(`${ctx.url}/dashboard/nodes`);
    const viewerRow = viewer.locator(`tr[data-node="${id}"]`);
    await viewerRow.waitFor();
    expect(await confirm(viewer, viewerRow, 'Drain')).toMatch(/^role viewer may not POST/);

    await page.goto(`${ctx.url}/dashboard/nodes`);
    const row = page.locator(`tr[data-node="${id}"]`);
    await row.locator('.badge.status-active').waitFor();
    expect(await row.innerText()).toContain('zone=a');
    expect(await row.innerText()).toContain('0/2');
    expect(await confirm(page, row, 'Drain')).toContain('gpu-box is draining.');
    await row.locator('.badge.status-draining').waitFor();
    expect((await http('GET', `${ctx.url}/api/v1/nodes/${id}`, undefined, AUTH)).body.status).toBe('draining');
    await row.getByRole('link', { name: 'gpu-box' }).click();
    await page.locator(`.card[data-node="${id}"]`).waitFor();
    await page.screenshot({ path: join(shots, 'nodes.png'), fullPage: true });
  });

  it('shows the system’s mode and changes it, records a heartbeat, shows the doctor, and drains', async () => {
    await viewer.goto(`${ctx.url}/dashboard/system`);
    await viewer.locator('section.system-page[data-mode="normal"]').waitFor();
    await viewer.getByLabel('Reason for the mode').fill('viewer tries');
    expect(await confirm(viewer, viewer, 'Set mode')).toMatch(/^role viewer may not POST/);

    await page.goto(`${ctx.url}/dashboard/system`);
    await page.locator('section.system-page[data-mode="normal"]').waitFor();
    await page.getByTestId('doctor-findings').getByText('Nothing stuck.').waitFor();
    await page.getByLabel('New mode').selectOption('safe');
    await page.getByLabel('Reason for the mode').fill('maintenance window');
    expect(await confirm(page, page, 'Set mode')).toContain('the hub is safe');
    await page.locator('section.system-page[data-mode="safe"]').waitFor();
    expect(await page.getByTestId('system-mode').innerText()).toContain('maintenance window');
    await page.getByTestId('system-events').getByText('system.mode.set').first().waitFor();
    // The mode is the server's, not the page's: new runs are refused.
    expect((await http('POST', `${ctx.url}/api/v1/runs`, { plan: { steps: [{ id: 'a', agent: 'builtin:echo' }] } }, AUTH)).status).toBe(503);

    expect(await confirm(page, page, 'I am here')).toContain('Heartbeat recorded.');
    await page.getByTestId('system-events').getByText('system.heartbeat').first().waitFor();
    await page.screenshot({ path: join(shots, 'system.png'), fullPage: true });

    await page.getByLabel('New mode').selectOption('normal');
    await page.getByLabel('Reason for the mode').fill('done');
    expect(await confirm(page, page, 'Set mode')).toContain('the hub is normal');

    // Last: the drain (this in-process server does not exit; it records the drain).
    await page.getByLabel('Reason for the drain').fill('end of day');
    expect(await confirm(page, page, 'Drain the hub')).toContain('Draining');
    await page.locator('section.system-page[data-mode="draining"]').waitFor();
    await page.getByTestId('system-events').getByText('system.drained').first().waitFor({ timeout: 20_000 });
  });

  it('logged no console error on any page', () => {
    expect(consoleWatch.errors).toEqual([]);
    expect(viewerWatch.errors).toEqual([]);
  });
});
