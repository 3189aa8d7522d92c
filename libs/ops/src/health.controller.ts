import { Controller, Get, HttpCode, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Database, pendingMigrations } from '@baton/db';
import { SystemModeService } from './mode/system-mode.service.js';

/** Liveness and readiness. Both stay open when API tokens are enabled. */
@Controller()
export class HealthController {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SystemModeService) private readonly mode: SystemModeService,
  ) {}

  /** The process is up and serving HTTP (200 in every mode), and the mode it enforces. */
  @Get('health')
  @HttpCode(HttpStatus.OK)
  health(): { status: 'ok'; mode: string; reason: string | null } {
    const { mode, reason } = this.mode.view();
    return { status: 'ok', mode, reason };
  }

  /**
   * The database answers and every migration is applied. 503 otherwise, e.g. during a
   * database outage; `connection` says since when the database has been (un)reachable.
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<Record<string, unknown>> {
    try {
      // Asked even while the health says disconnected: a success is what ends the outage.
      await this.db.query('select 1');
      const pending = await pendingMigrations(this.db);
      if (pending.length > 0) {
        response.status(HttpStatus.SERVICE_UNAVAILABLE);
        return { status: 'not_ready', database: this.db.kind, connection: this.connection(), pendingMigrations: pending };
      }
      return { status: 'ready', database: this.db.kind, connection: this.connection() };
    } catch (error) {
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'not_ready', database: this.db.kind, connection: this.connection(), error: (error as Error).message };
    }
  }

  private connection(): { state: string; since: string } {
    const { state, since } = this.db.health.snapshot();
    return { state, since: since.toISOString() };
  }
}
