import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { ConsoleWatch, ensureDashboardBuilt, launchChromium } from './support/dashboard-browser.js';

/**
 * Issue 16's "a button in the dashboard" for `baton drain`: the System page in a real browser
 * (Debian's chromium) against a real Baton on PGlite with auth on, every click through the API.
 */
const TOKEN = 'dashboard-system-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

beforeAll(() => ensureDashboardBuilt(), 120_000);
const ctx = useTestServer('pglite', { BATON_BOOTSTRAP_TOKEN: TOKEN, BATON_POLL_INTERVAL_MS: '200' });

let browser: Browser;
let page: Page;
let consoleWatch: ConsoleWatch;

beforeAll(async () => {
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(15_000);
  consoleWatch = new ConsoleWatch(page);
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe('dashboard System page (chromium)', () => {
  it('shows the mode, sends a heartbeat, and drains the hub after confirmation', async () => {
    await page.goto(`${ctx.url}/dashboard`);
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByTestId('system-mode').getByText('normal').waitFor();
    await page.getByText('No stuck work').waitFor();

    await page.getByRole('button', { name: 'Send heartbeat' }).click();
    await page.getByText('Heartbeat recorded.').waitFor();
    const system = await http('GET', `${ctx.url}/api/v1/system`, undefined, AUTH);
    expect(system.body.events.some((e: any) => e.type === 'system.heartbeat' && e.data.by === 'token:bootstrap')).toBe(true);

    // The drain needs a reason, then a confirmation; "Keep it" changes nothing.
    const drain = page.getByRole('button', { name: 'Drain and stop' });
    expect(await drain.isDisabled()).toBe(true);
    await page.fill('#drain-reason', 'moving to a new host');
    await drain.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    expect((await http('GET', `${ctx.url}/health`)).body.mode).toBe('normal');
    await drain.click();
    await dialog.getByRole('button', { name: 'Drain and stop' }).click();
    await page.getByText('Draining: the servers stop once their running steps are done.').waitFor();
    await page.getByTestId('system-mode').getByText('draining').waitFor();
    expect((await http('GET', `${ctx.url}/health`)).body).toEqual({ status: 'ok', mode: 'draining', reason: 'moving to a new host' });
    // Nothing was running: the drain finishes at once and records where runs stopped.
    await waitFor(async () => (await http('GET', `${ctx.url}/api/v1/system`, undefined, AUTH)).body.events.some((e: any) => e.type === 'system.drained'), {
      what: 'system.drained',
    });
    expect(consoleWatch.errors).toEqual([]);
  });
});
