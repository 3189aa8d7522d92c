import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { BatonConfig } from '@baton/common';
import { SYSTEM_MODE_CHANGED_EVENT, type SystemMode } from '../mode/system-mode.js';
import { SystemModeService } from '../mode/system-mode.service.js';
import { DrainRepository } from './drain.repository.js';

/** In-process event: this instance finished draining; `apps/api` stops the process on it. */
export const SYSTEM_DRAINED_EVENT = 'system.drained';

/**
 * Draining: once the mode is `draining` (set here, by another instance or by the dead-man
 * switch) the dispatch gate is closed, so this instance only waits for the steps it holds to
 * finish (up to BATON_DRAIN_TIMEOUT_SECONDS), records where each open run stopped, and asks
 * the app to stop. Shutdown hands back whatever is still leased; `npm start` resumes.
 */
@Injectable()
export class DrainService {
  private readonly logger = new Logger('Drain');
  private draining: Promise<void> | null = null;

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(SystemModeService) private readonly mode: SystemModeService,
    @Inject(DrainRepository) private readonly repository: DrainRepository,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
  ) {}

  /** Starts a drain of every instance. */
  async drain(reason: string, by: string): Promise<void> {
    await this.mode.setMode('draining', reason, by, ['normal', 'safe', 'degraded']);
  }

  @OnEvent(SYSTEM_MODE_CHANGED_EVENT)
  onModeChanged(event: { mode: SystemMode }): void {
    if (event.mode === 'draining' && !this.draining) this.draining = this.run();
  }

  /** Resolves when this instance's drain is done (immediately when none started). */
  whenDrained(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const started = Date.now();
    const deadline = started + this.config.drainTimeoutSeconds * 1000;
    this.logger.warn(`draining: waiting up to ${this.config.drainTimeoutSeconds} s for in-flight steps`);
    let left = 0;
    for (;;) {
      left = await this.repository.runningStepsOf(this.config.instanceId).catch(() => Number.NaN);
      if (left === 0 || Date.now() >= deadline || this.mode.mode !== 'draining') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (this.mode.mode !== 'draining') {
      this.logger.log('drain called off: the mode changed');
      this.draining = null;
      return;
    }
    const openRuns = await this.repository.openRuns().catch(() => []);
    await this.mode.record('system.drained', {
      waitedMs: Date.now() - started,
      stepsHandedBack: Number.isNaN(left) ? null : left,
      openRuns,
    });
    this.logger.warn(`drained after ${Date.now() - started} ms (${openRuns.length} runs open, resumed by the next start); stopping`);
    this.emitter.emit(SYSTEM_DRAINED_EVENT, { instanceId: this.config.instanceId, openRuns: openRuns.length });
  }
}
