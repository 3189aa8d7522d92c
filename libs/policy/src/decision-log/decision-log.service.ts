import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { BatonConfig } from '@baton/common';
import type { PolicyDecision, PolicyRequest } from '../policy-engine.js';
import { PolicyDecisionRepository } from './policy-decision.repository.js';
import type { DecisionFilter, LoggedDecision, NewDecision } from './policy-decision.types.js';
import { isSensitive } from './sensitive-actions.js';

/** How long a decision may wait in memory before it is written. */
const FLUSH_MS = 500;
/** A batch this large is written at once, without waiting for the timer. */
const BATCH = 200;
/** While the database is away, at most this many decisions wait; the oldest are dropped (and counted in the log). */
const MAX_PENDING = 10_000;
const PRUNE_MS = 10 * 60_000;

/**
 * The decision log: every deny and each allow of a sensitive action, appended to
 * `policy_decisions`. `record` only pushes onto an in-memory batch (the request path never
 * waits for the database); a timer writes batches in one statement, and shutdown writes
 * what is left before the database closes (DbModule closes it in onApplicationShutdown,
 * after every onModuleDestroy). A crash may lose the last half second.
 */
@Injectable()
export class DecisionLogService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PolicyDecisionLog');
  private pending: NewDecision[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private dropped = 0;

  constructor(
    @Inject(PolicyDecisionRepository) private readonly repository: PolicyDecisionRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  onApplicationBootstrap(): void {
    const days = this.config.policyDecisionRetentionDays;
    if (days > 0) {
      this.pruneTimer = setInterval(() => void this.prune(days), PRUNE_MS);
      this.pruneTimer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.flush();
  }

  /** Queues `decision` when it belongs in the log (a deny, or an allow of a sensitive action). */
  record(request: PolicyRequest, decision: PolicyDecision): void {
    if (decision.allowed && !isSensitive(request.action)) return;
    this.pending.push({
      principal: `Baton::${request.principal.type}::${JSON.stringify(request.principal.id)}`,
      action: request.action,
      resource: `Baton::${request.resource.type}::${JSON.stringify(request.resource.id)}`,
      decision: decision.allowed ? 'allow' : 'deny',
      policyVersion: decision.version,
      reasons: decision.reasons,
      errors: decision.errors,
      at: new Date(),
    });
    if (this.pending.length > MAX_PENDING) {
      this.dropped += this.pending.length - MAX_PENDING;
      this.pending.splice(0, this.pending.length - MAX_PENDING);
    }
    if (this.pending.length >= BATCH) void this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  /** Writes everything queued so far; resolves once it is in the table (or failed and was re-queued). */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    // One writer at a time keeps rows in the order they were decided.
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Newest first; flushes first so a decision made just now is listed. */
  async list(filter: DecisionFilter): Promise<LoggedDecision[]> {
    await this.flush();
    return this.repository.list(filter);
  }

  private async write(batch: NewDecision[]): Promise<void> {
    try {
      await this.repository.insertMany(batch);
      if (this.dropped > 0) this.logger.warn(`${this.dropped} policy decisions were dropped while the database was unavailable`);
      this.dropped = 0;
    } catch (error) {
      // The database is away: keep the batch for the next attempt (bounded by MAX_PENDING).
      this.pending = [...batch, ...this.pending].slice(-MAX_PENDING);
      this.logger.warn(`could not write ${batch.length} policy decisions: ${(error as Error).message}`);
      if (!this.flushTimer) {
        this.flushTimer = setTimeout(() => void this.flush(), FLUSH_MS * 4);
        this.flushTimer.unref();
      }
    }
  }

  private async prune(days: number): Promise<void> {
    try {
      const pruned = await this.repository.prune(days);
      if (pruned > 0) this.logger.log(`pruned ${pruned} policy decisions older than ${days} days`);
    } catch (error) {
      this.logger.warn(`could not prune policy decisions: ${(error as Error).message}`);
    }
  }
}
