import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig, BatonError } from '@baton/common';
import { AlertService } from '../alerts/alert.service.js';
import { SystemModeService } from '../mode/system-mode.service.js';
import { SystemStateRepository } from '../mode/system-state.repository.js';
import { verifyHeartbeat } from './heartbeat-signature.js';

const HOUR_MS = 3_600_000;
/** Who the dead-man switch says set the mode; a heartbeat lifts only its own safe mode. */
export const DEAD_MAN_SWITCH = 'dead-man-switch';

export interface HeartbeatView {
  enabled: boolean;
  intervalHours: number | null;
  maxUnattendedHours: number;
  lastHeartbeatAt: string | null;
  by: string | null;
  /** When the switch trips to safe mode, then to draining, without another heartbeat. */
  safeAt: string | null;
  drainAt: string | null;
}

/**
 * The dead-man switch: the solo operator beats a heartbeat (API or CLI). With
 * BATON_HEARTBEAT_INTERVAL_HOURS set, none for that long puts the hub in safe mode and alerts
 * the operator and the backup contact; none for BATON_MAX_UNATTENDED_HOURS more drains it.
 * Every instance checks; the guarded mode change makes exactly one of them act and alert.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeat');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(SystemStateRepository) private readonly repository: SystemStateRepository,
    @Inject(SystemModeService) private readonly mode: SystemModeService,
    @Inject(AlertService) private readonly alerts: AlertService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.heartbeatIntervalHours === undefined) return;
    await this.repository.armHeartbeat().catch((error) => this.logger.warn(`arming failed: ${(error as Error).message}`));
    this.timer = setInterval(() => void this.check(), this.config.heartbeatCheckMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Records the operator's heartbeat; lifts the safe mode the switch itself set. */
  async beat(by: string): Promise<HeartbeatView> {
    const state = await this.repository.recordHeartbeat(by);
    await this.mode.record('system.heartbeat', { by });
    if (state.mode === 'safe' && state.setBy === DEAD_MAN_SWITCH) {
      await this.mode.setMode('normal', `heartbeat from ${by}`, by, ['safe']);
    }
    return this.view(state.lastHeartbeatAt, by);
  }

  /**
   * A heartbeat through a signed webhook URL (no API token): `by` is who the URL was made
   * for, `signature` proves it was made with BATON_HEARTBEAT_SECRET.
   */
  async beatSigned(by: string, signature: string): Promise<HeartbeatView> {
    const secret = this.config.heartbeatSecret;
    if (!secret) throw new BatonError('not_found', 'signed heartbeat URLs are off: set BATON_HEARTBEAT_SECRET to turn them on');
    if (!verifyHeartbeat(secret, by, signature)) {
      throw new BatonError('unauthorized', 'signature does not match: make the URL again with `npm run baton -- heartbeat --url`');
    }
    return this.beat(`signed-url:${by}`);
  }

  async status(): Promise<HeartbeatView> {
    const state = await this.repository.get();
    return this.view(state.lastHeartbeatAt, state.heartbeatBy);
  }

  /** One look at the clock; exposed for tests and run on the timer. */
  async check(now = Date.now()): Promise<void> {
    const interval = this.config.heartbeatIntervalHours;
    if (interval === undefined) return;
    try {
      const state = await this.repository.get();
      const last = state.lastHeartbeatAt?.getTime() ?? now;
      const silentMs = now - last;
      const since = new Date(last).toISOString();
      if (silentMs > (interval + this.config.maxUnattendedHours) * HOUR_MS) {
        const reason = `no operator heartbeat since ${since}: draining and stopping`;
        if (await this.mode.setMode('draining', reason, DEAD_MAN_SWITCH, ['normal', 'safe'])) {
          await this.alerts.alert('no heartbeat: Baton is draining and will stop', `${reason}.\nRestart it with \`npm start\` once someone is watching.`);
        }
      } else if (silentMs > interval * HOUR_MS) {
        const reason = `no operator heartbeat since ${since}`;
        if (await this.mode.setMode('safe', reason, DEAD_MAN_SWITCH, ['normal'])) {
          await this.alerts.alert(
            'no heartbeat: Baton entered safe mode',
            `${reason}. No new runs are admitted or dispatched; running work finishes.\n` +
              `Send a heartbeat (\`npm run baton -- heartbeat\` or POST /api/v1/system/heartbeat) to resume. ` +
              `Without one it drains and stops after ${this.config.maxUnattendedHours} more hours.`,
          );
        }
      }
    } catch (error) {
      this.logger.warn(`heartbeat check failed: ${(error as Error).message}`);
    }
  }

  private view(last: Date | null, by: string | null): HeartbeatView {
    const interval = this.config.heartbeatIntervalHours;
    const at = (hours: number) => (last && interval !== undefined ? new Date(last.getTime() + hours * HOUR_MS).toISOString() : null);
    return {
      enabled: interval !== undefined,
      intervalHours: interval ?? null,
      maxUnattendedHours: this.config.maxUnattendedHours,
      lastHeartbeatAt: last?.toISOString() ?? null,
      by,
      safeAt: at(interval ?? 0),
      drainAt: at((interval ?? 0) + this.config.maxUnattendedHours),
    };
  }
}
