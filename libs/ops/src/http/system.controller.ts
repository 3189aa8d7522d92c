import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, principalLabel, type Principal } from '@baton/identity';
import { DrainService } from '../drain/drain.service.js';
import { HeartbeatService } from '../heartbeat/heartbeat.service.js';
import { SystemModeService } from '../mode/system-mode.service.js';
import { DrainDto, SetModeDto, SignedHeartbeatQueryDto } from './system.dto.js';

/** The hub's operating mode, the operator's heartbeat and the drain (issue 16). */
@Controller('api/v1/system')
export class SystemController {
  constructor(
    @Inject(SystemModeService) private readonly mode: SystemModeService,
    @Inject(HeartbeatService) private readonly heartbeat: HeartbeatService,
    @Inject(DrainService) private readonly drains: DrainService,
  ) {}

  @Get()
  async state(): Promise<Record<string, unknown>> {
    // Served from memory during an outage: the heartbeat and events need the database.
    const [heartbeat, events] = await Promise.all([
      this.heartbeat.status().catch(() => null),
      this.mode.recentEvents(20).catch(() => []),
    ]);
    return { ...this.mode.view(), heartbeat, events };
  }

  @Post('mode')
  @HttpCode(HttpStatus.OK)
  async setMode(@Body() body: SetModeDto, @CurrentPrincipal() who: Principal): Promise<Record<string, unknown>> {
    await this.mode.setMode(body.mode, body.reason, principalLabel(who));
    return this.mode.view() as unknown as Record<string, unknown>;
  }

  @Post('heartbeat')
  @HttpCode(HttpStatus.OK)
  async beat(@CurrentPrincipal() who: Principal): Promise<Record<string, unknown>> {
    const heartbeat = await this.heartbeat.beat(principalLabel(who));
    return { ...this.mode.view(), heartbeat };
  }

  /** The heartbeat webhook: no token, the URL's signature is the credential (see heartbeat-signature.ts). */
  @Post('heartbeat/signed')
  @HttpCode(HttpStatus.OK)
  async beatSigned(@Query() query: SignedHeartbeatQueryDto): Promise<Record<string, unknown>> {
    const heartbeat = await this.heartbeat.beatSigned(query.by, query.signature);
    // Only the mode: whoever holds the URL reads nothing else of the hub.
    return { mode: this.mode.view().mode, heartbeat: { lastHeartbeatAt: heartbeat.lastHeartbeatAt, by: heartbeat.by } };
  }

  @Post('drain')
  @HttpCode(HttpStatus.ACCEPTED)
  async drain(@Body() body: DrainDto, @CurrentPrincipal() who: Principal): Promise<Record<string, unknown>> {
    await this.drains.drain(body.reason, principalLabel(who));
    return { ...this.mode.view(), draining: true };
  }
}
