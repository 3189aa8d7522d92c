import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { isDatabaseUnavailable } from '@baton/db';
import { AgentWaitService, RunCompensationService, RunLimitsService } from '@baton/runs';
import { AgentBreakerService } from './agent-breaker.service.js';

/** Parked steps are also woken this often, so a newly registered agent picks up waiting capability steps. */
const SAFETY_WAKE_MS = 60_000;

/**
 * The durable timers of fault tolerance, on every instance, every BATON_FAULT_SWEEP_MS:
 * open breakers whose wait is over become half-open and the steps parked behind them go
 * back to the queue; steps parked longer than AGENT_ALLOCATION_TIMEOUT_SECONDS fail; runs
 * past their deadline are cancelled (`run_timeout`) with their open steps and child runs (and
 * rolled back when so configured); rollbacks past SAGA_COMPENSATION_TIMEOUT_SECONDS are
 * abandoned (`compensation: partial`). All
 * state is in rows, so a restart loses nothing and instances do not collide (each
 * statement moves a row once).
 */
@Injectable()
export class FaultSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FaultSweeper');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastSafetyWake = Date.now();

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(AgentBreakerService) private readonly breakers: AgentBreakerService,
    @Inject(AgentWaitService) private readonly waits: AgentWaitService,
    @Inject(RunLimitsService) private readonly limits: RunLimitsService,
    @Inject(RunCompensationService) private readonly compensations: RunCompensationService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.sweep().finally(() => (this.running = undefined));
    }, this.config.faultSweepMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; public so tests and the reset route can run it now. */
  async sweep(): Promise<void> {
    try {
      const halfOpened = await this.breakers.promoteDue();
      const safety = Date.now() - this.lastSafetyWake >= SAFETY_WAKE_MS;
      if (halfOpened.length > 0 || safety) {
        this.lastSafetyWake = Date.now();
        await this.waits.wakeAll();
      }
      await this.waits.failExpired(this.config.agentAllocationTimeoutSeconds);
      await this.limits.cancelOverdue();
      await this.compensations.abandonOverdue();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) this.logger.warn(`fault sweep failed: ${(error as Error).message}`);
    }
  }
}
