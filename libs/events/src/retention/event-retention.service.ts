import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import { EventRetentionRepository } from './event-retention.repository.js';

const PRUNE_EVERY_MS = 10 * 60_000;
const BATCH_RUNS = 500;

/**
 * Prunes the event logs of runs that finished more than BATON_EVENT_RETENTION_HOURS ago
 * (0 keeps everything). Every instance runs it; batches skip rows another one holds, so two
 * instances share the work instead of blocking each other.
 */
@Injectable()
export class EventRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EventRetention');
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(EventRetentionRepository) private readonly repository: EventRetentionRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.eventRetentionHours <= 0) return;
    // unref: a pending prune must never keep a stopping process alive.
    this.timers.push(setInterval(() => this.tick(), PRUNE_EVERY_MS).unref());
    this.timers.push(setTimeout(() => this.tick(), 1_000).unref());
  }

  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    await this.running?.catch(() => undefined);
  }

  /** Prunes everything due now, batch by batch; returns how many runs and events went. */
  async pruneOnce(hours = this.config.eventRetentionHours): Promise<{ runs: number; events: number }> {
    const total = { runs: 0, events: 0 };
    if (hours <= 0) return total;
    for (;;) {
      const batch = await this.repository.pruneFinishedBefore(hours, BATCH_RUNS);
      total.runs += batch.runs;
      total.events += batch.events;
      if (batch.runs === 0) return total;
    }
  }

  private tick(): void {
    if (this.running || this.timers.length === 0) return;
    this.running = this.pruneOnce()
      .then((done) => {
        if (done.runs > 0) this.logger.log(`pruned ${done.events} events of ${done.runs} finished runs`);
      })
      .catch((error) => this.logger.warn(`event retention failed: ${error instanceof Error ? error.message : error}`))
      .finally(() => (this.running = undefined));
  }
}
