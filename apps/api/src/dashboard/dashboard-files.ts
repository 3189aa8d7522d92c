import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `dist/dashboard` (the operator dashboard's bundle, built by `npm run build:dashboard`),
 * found by walking up from this file so the source (tests) and the compiled server
 * (`dist/apps/api/...`) find the same folder. Undefined when it has not been built.
 */
export function findDashboardDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'dist', 'dashboard');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      const fallback = resolve('dist/dashboard');
      return existsSync(join(fallback, 'index.html')) ? fallback : undefined;
    }
    dir = parent;
  }
}

/**
 * What a path under `/dashboard/` is: a built asset (content-hashed, cached for a year), a
 * missing asset (404, never the page: a stale tab must not parse HTML as JavaScript), or a
 * client-side route that gets `index.html` (deep links).
 */
export function classifyDashboardPath(rest: string): 'asset' | 'page' {
  return rest.startsWith('assets/') ? 'asset' : 'page';
}

/** The dashboard talks only to its own origin; inline styles are React Flow's node positions. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');
