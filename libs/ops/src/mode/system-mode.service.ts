import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Gauge } from 'prom-client';
import { AdmissionGate, BatonConfig, BatonError, DispatchGate, WriteGate } from '@baton/common';
import { Database, isDatabaseUnavailable, loadMigrations } from '@baton/db';
import { EventLogService } from '@baton/events';
import { OrchestrationMetricsService } from '@baton/metrics';
import {
  SYSTEM_CHANNEL,
  SYSTEM_MODES,
  SYSTEM_MODE_CHANGED_EVENT,
  admitsRuns,
  allowsDispatch,
  stricter,
  type StoredSystemState,
  type SystemMode,
} from './system-mode.js';
import { SystemStateRepository } from './system-state.repository.js';

export interface SystemModeView {
  /** What this instance enforces: the stricter of `stored` and `automatic`. */
  mode: SystemMode;
  reason: string | null;
  /** The mode an operator (or the dead-man switch) set, shared by every instance. */
  stored: { mode: SystemMode; reason: string | null; setBy: string | null; changedAt: string } | null;
  /** This instance's own finding (the database unreachable or read-only, the event log failing, a migration mismatch), null when none. */
  automatic: { mode: 'degraded'; reason: string; since: string } | null;
}

/**
 * The hub's operating mode as this instance sees it: the stored mode (re-read on NOTIFY,
 * on reconnect and on a timer) made stricter by what the instance finds itself (an
 * unreachable or read-only database makes it degraded until the cause is gone). It is the
 * admission gate the run factory asks and the dispatch gate the claim loop asks.
 */
@Injectable()
export class SystemModeService implements AdmissionGate, DispatchGate, WriteGate, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SystemMode');
  private stored: StoredSystemState | null = null;
  private automatic: { reason: string; since: Date } | null = null;
  private effective: SystemMode | null = null;
  private readonly openListeners = new Set<() => void>();
  private readonly cleanups: Array<() => unknown> = [];
  private timer: NodeJS.Timeout | undefined;
  /** The migration files this instance was built with (read once). */
  private readonly migrations = new Set(loadMigrations().map((m) => m.name));

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(SystemStateRepository) private readonly repository: SystemStateRepository,
    @Inject(EventEmitter2) private readonly emitter: EventEmitter2,
    @Optional() @Inject(OrchestrationMetricsService) metrics?: OrchestrationMetricsService,
    @Optional() @Inject(EventLogService) private readonly events?: EventLogService,
  ) {
    if (metrics) this.registerGauge(metrics);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.cleanups.push(this.db.health.onChange((health) => {
      if (health.state === 'disconnected') this.setAutomatic(`database unreachable: ${health.lastError ?? 'no connection'}`);
      else void this.refresh();
    }));
    this.cleanups.push(this.db.onReconnect(() => void this.refresh()));
    // An append the log refused makes this instance degraded at once; the refresh timer
    // probes the log until it takes writes again, and the next success lifts it.
    if (this.events) {
      this.cleanups.push(this.events.health.onChange((failure) => {
        if (failure) this.setAutomatic(eventLogReason(failure.message));
        else void this.refresh();
      }));
    }
    const unlisten = await this.db.listen(SYSTEM_CHANNEL, () => void this.refresh());
    this.cleanups.push(() => unlisten().catch(() => undefined));
    this.timer = setInterval(() => void this.refresh(), this.config.pollIntervalMs);
    this.timer.unref();
    // A start after a drain is the operator resuming (the drained instances have stopped).
    await this.repository
      .setMode('normal', 'started after a drain', this.config.instanceId, ['draining'])
      .catch((error) => this.logger.warn(`could not resume after a drain: ${(error as Error).message}`));
    await this.refresh();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const cleanup of this.cleanups) await cleanup();
  }

  /** The effective mode (`safe` until the stored mode was first read: nothing starts blind). */
  get mode(): SystemMode {
    return this.effective ?? 'safe';
  }

  view(): SystemModeView {
    const stored = this.stored;
    return {
      mode: this.mode,
      reason: this.reason(),
      stored: stored && { mode: stored.mode, reason: stored.reason, setBy: stored.setBy, changedAt: stored.changedAt.toISOString() },
      automatic: this.automatic && { mode: 'degraded', reason: this.automatic.reason, since: this.automatic.since.toISOString() },
    };
  }

  /**
   * Re-reads the stored mode and checks that the database takes writes. Never throws: an
   * unreachable database is itself the finding (degraded), cleared by the next success.
   */
  async refresh(): Promise<void> {
    try {
      const [stored, readOnly, applied] = await Promise.all([
        this.repository.get(),
        this.repository.readOnly(),
        this.repository.appliedMigrations(),
      ]);
      // A read that started before this instance stored a newer mode must not undo it.
      if (!this.stored || stored.changedAt >= this.stored.changedAt) this.stored = stored;
      const problem = readOnly ? 'database refuses writes (read-only)' : (this.migrationMismatch(applied) ?? (await this.eventLogProblem()));
      if (problem) this.setAutomatic(problem);
      else this.clearAutomatic();
    } catch (error) {
      if (isDatabaseUnavailable(error) || !this.db.health.connected) this.setAutomatic(`database unreachable: ${(error as Error).message}`);
      else this.logger.warn(`reading the system mode failed: ${(error as Error).message}`);
    }
    this.recompute();
  }

  /**
   * Stores a mode for every instance, with who set it and why. `from` guards the transition
   * (null: from any mode); returns false when the guard did not hold.
   */
  async setMode(mode: SystemMode, reason: string, setBy: string, from: SystemMode[] | null = null): Promise<boolean> {
    const state = await this.db.transaction(async (tx) => {
      const before = await this.repository.get(tx);
      const after = await this.repository.setMode(mode, reason, setBy, from, tx);
      if (!after) return null;
      await this.repository.appendEvent('system.mode.set', { mode, from: before.mode, reason, setBy }, this.config.instanceId, tx);
      await tx.query(`select pg_notify($1::text, $2::text)`, [SYSTEM_CHANNEL, mode]);
      return after;
    });
    if (!state) return false;
    this.stored = state;
    this.recompute();
    return true;
  }

  /** Records a system event (best effort: during an outage there is nowhere to write it). */
  async record(type: string, data: Record<string, unknown>): Promise<void> {
    await this.repository.appendEvent(type, data, this.config.instanceId).catch((error) => {
      this.logger.warn(`could not record ${type}: ${(error as Error).message}`);
    });
  }

  /** The latest system events (mode changes, heartbeats, alerts, drains, doctor repairs). */
  recentEvents(limit: number) {
    return this.repository.recentEvents(limit);
  }

  // AdmissionGate
  assertAdmits(): void {
    const mode = this.mode;
    if (admitsRuns(mode)) return;
    throw new BatonError('unavailable', `Baton is in ${mode} mode and admits no new runs: ${this.reason() ?? 'no reason given'}`, {
      mode,
      reason: this.reason(),
    });
  }

  // WriteGate: degraded is read-only
  assertWritable(): void {
    if (this.mode !== 'degraded') return;
    const reason = this.reason();
    throw new BatonError('unavailable', `Baton is in degraded (read-only) mode: ${reason ?? 'no reason given'}; writes are refused until it is normal again`, {
      mode: 'degraded',
      reason,
    });
  }

  // DispatchGate
  allowsDispatch(): boolean {
    return allowsDispatch(this.mode);
  }

  onOpen(fn: () => void): () => void {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }

  /** While the log is known to fail, probes it (a rolled-back append); null once it takes writes. */
  private async eventLogProblem(): Promise<string | null> {
    if (!this.events?.health.failure) return null;
    if (await this.events.probe()) return null;
    const failure = this.events.health.failure;
    return failure ? eventLogReason(failure.message) : null;
  }

  /** The schema and this instance's code disagree: missing migrations, or unknown ones (a newer version ran). */
  private migrationMismatch(applied: string[]): string | null {
    const done = new Set(applied);
    const missing = [...this.migrations].filter((name) => !done.has(name));
    if (missing.length > 0) return `migration mismatch: not applied: ${missing.slice(0, 3).join(', ')}`;
    const unknown = applied.filter((name) => !this.migrations.has(name));
    if (unknown.length > 0) return `migration mismatch: the database has migrations this instance does not know (a newer version?): ${unknown.slice(0, 3).join(', ')}`;
    return null;
  }

  private reason(): string | null {
    if (this.automatic && this.mode === 'degraded' && this.stored?.mode !== 'degraded') return this.automatic.reason;
    return this.stored?.reason ?? this.automatic?.reason ?? null;
  }

  private setAutomatic(reason: string): void {
    if (this.automatic?.reason === reason) return;
    this.automatic = { reason, since: this.automatic?.since ?? new Date() };
    this.recompute();
  }

  private clearAutomatic(): void {
    if (!this.automatic) return;
    this.automatic = null;
    this.recompute();
  }

  private recompute(): void {
    if (!this.stored && !this.automatic) return;
    const next = stricter(this.stored?.mode ?? 'normal', this.automatic ? 'degraded' : 'normal');
    const previous = this.effective;
    if (next === previous) return;
    this.effective = next;
    const reason = this.reason();
    if (previous !== null || next !== 'normal') this.logger.warn(`mode ${previous ?? '(start)'} -> ${next}${reason ? `: ${reason}` : ''}`);
    this.emitter.emit(SYSTEM_MODE_CHANGED_EVENT, { mode: next, previous, reason, instanceId: this.config.instanceId });
    // Each instance records its own change (entering degraded for want of a database, the
    // write fails and only the log line remains).
    if (previous !== null) void this.record('system.mode.changed', { mode: next, previous, reason });
    if (allowsDispatch(next)) {
      for (const listener of this.openListeners) {
        try {
          listener();
        } catch (error) {
          this.logger.error(`dispatch listener failed: ${(error as Error).message}`);
        }
      }
    }
  }

  private registerGauge(metrics: OrchestrationMetricsService): void {
    const service = this;
    new Gauge({
      name: 'baton_system_mode',
      help: 'The operating mode this instance enforces: 1 for the current mode, 0 for the others.',
      labelNames: ['mode'] as const,
      registers: [metrics.registry],
      collect() {
        for (const mode of SYSTEM_MODES) this.set({ mode }, service.mode === mode ? 1 : 0);
      },
    });
  }
}

function eventLogReason(message: string): string {
  return `event log failing: ${message}`;
}
