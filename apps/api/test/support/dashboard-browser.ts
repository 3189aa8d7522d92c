import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const SOURCE = join(ROOT, 'apps/dashboard');
export const BUNDLE_DIR = join(ROOT, 'dist/dashboard');
const BUNDLE = join(BUNDLE_DIR, 'index.html');

/** Debian's chromium package (`apt-get install chromium`); a browser is never downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/**
 * Builds the dashboard bundle (dist/dashboard) when it is missing or older than its source,
 * so `npm ci && npm test` on a fresh clone tests what the source says. Test files run in
 * parallel: each builds into a folder of its own and moves it into place, so none ever sees
 * a half-written bundle.
 */
export function ensureDashboardBuilt(): void {
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= newestMtime(SOURCE)) return;
  const target = dirname(BUNDLE);
  const staging = `${target}.build-${process.pid}`;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/dashboard/vite.config.js', '--outDir', staging, '--emptyOutDir'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production' } },
  );
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= newestMtime(SOURCE)) {
    rmSync(staging, { recursive: true, force: true }); // another test file got there first
    return;
  }
  const old = `${target}.old-${process.pid}`;
  try {
    if (existsSync(target)) renameSync(target, old);
    renameSync(staging, target);
  } catch (error) {
    if (!existsSync(BUNDLE)) throw error; // lost a race to another file's build: theirs is in place
  } finally {
    rmSync(old, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium`);
  // launch() gives every browser a fresh temporary profile (user data dir).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Every console error and uncaught exception of a page. A test that provokes an error
 * response on purpose (a 400 it asserts on) names it with `expect(pattern)` first.
 */
export class ConsoleWatch {
  readonly errors: string[] = [];
  private readonly expected: RegExp[] = [];

  constructor(page: Page) {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error') return;
      const text = `${message.text()} (${message.location().url})`;
      if (!this.expected.some((pattern) => pattern.test(text))) this.errors.push(text);
    });
    page.on('pageerror', (error) => this.errors.push(`uncaught: ${error.message}`));
  }

  expect(pattern: RegExp): void {
    this.expected.push(pattern);
  }
}

/** Where screenshots go: DASHBOARD_SCREENSHOTS_DIR (docs/dashboard to refresh the docs), else a temp folder. */
export function screenshotDir(): string {
  const dir = process.env.DASHBOARD_SCREENSHOTS_DIR ? resolve(ROOT, process.env.DASHBOARD_SCREENSHOTS_DIR) : join(tmpdir(), 'baton-dashboard-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
