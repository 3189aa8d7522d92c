import { Controller, Get, HttpCode, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Database, pendingMigrations } from '@baton/db';

/** Liveness and readiness. Both stay open when API tokens are enabled. */
@Controller()
export class HealthController {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** The process is up and serving HTTP. */
  @Get('health')
  @HttpCode(HttpStatus.OK)
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The database answers and every migration is applied. 503 otherwise. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<Record<string, unknown>> {
    try {
      await this.db.query('select 1');
      const pending = await pendingMigrations(this.db);
      if (pending.length > 0) {
        response.status(HttpStatus.SERVICE_UNAVAILABLE);
        return { status: 'not_ready', database: this.db.kind, pendingMigrations: pending };
      }
      return { status: 'ready', database: this.db.kind };
    } catch (error) {
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'not_ready', database: this.db.kind, error: (error as Error).message };
    }
  }
}
