import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { BatonError } from '@baton/common';
import { DASHBOARD_CSP, classifyDashboardPath, findDashboardDir } from './dashboard-files.js';

/**
 * Serves the operator dashboard (apps/dashboard, built into dist/dashboard) at `/dashboard`.
 * The page and its assets are public (access-policy.ts): the app asks for an API token and
 * sends it on every API call, so it can do nothing a token could not.
 */
@Controller()
export class DashboardController {
  /** Looked up on first use, so a bundle built after the server started is found too. */
  private root: string | undefined;

  @Get(['dashboard', 'dashboard/*path'])
  serve(@Req() request: Request, @Res() response: Response): void {
    this.root ??= findDashboardDir();
    if (!this.root) {
      throw new BatonError('not_found', 'the dashboard is not built: run npm run build:dashboard');
    }
    const rest = safeDecode(request.path.replace(/^\/dashboard\/?/, ''));
    if (classifyDashboardPath(rest) === 'asset') {
      response.sendFile(rest, { root: this.root, dotfiles: 'deny', immutable: true, maxAge: '365d' }, (error) => {
        if (error && !response.headersSent) response.status(404).json({ statusCode: 404, error: 'Not Found', message: `no dashboard asset ${rest}` });
      });
      return;
    }
    response.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile('index.html', { root: this.root });
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
