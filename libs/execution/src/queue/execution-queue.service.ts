import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { BatonConfig, DispatchGate } from '@baton/common';
import { Database, isDatabaseUnavailable } from '@baton/db';
import {
  CANCEL_CHANNEL,
  RUNS_STOPPED_EVENT,
  StepLeaseService,
  WORK_AVAILABLE_EVENT,
  WORK_CHANNEL,
  type ClaimedStep,
} from '@baton/runs';
import { AgentPlanner } from '../breakers/agent-planner.service.js';
import { StepCacheService } from '../cache/step-cache.service.js';
import { OrchestrationStepExecutorService } from '../executor/step-executor.service.js';

type StopReason = 'run_stopped' | 'lease_lost' | 'shutdown';

interface InFlight {
  step: ClaimedStep;
  abort: AbortController;
  done: Promise<void>;
}

/** How long shutdown waits for in-flight steps before handing them back (less when BATON_SHUTDOWN_GRACE_MS is short). */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * The claim loop of one instance. It claims only when told there is work (in-process event,
 * NOTIFY from another instance, a due retry, or the slow safety-net poll), fills its free
 * capacity in batches, and keeps the leases of what it runs alive. Idle, it does nothing.
 */
@Injectable()
export class OrchestrationExecutionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExecutionQueue');
  private readonly inFlight = new Map<string, InFlight>();
  private readonly timers: NodeJS.Timeout[] = [];
  private dueTimer: NodeJS.Timeout | undefined;
  private dueAt = Number.POSITIVE_INFINITY;
  private claiming = false;
  private claimAgain = false;
  private wakeScheduled = false;
  /** The claim under way, awaited at shutdown so it never runs against a closed database. */
  private draining: Promise<void> | undefined;
  private stopped = true;
  private unlisten: Array<() => Promise<void>> = [];

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(Database) private readonly db: Database,
    @Inject(StepLeaseService) private readonly leases: StepLeaseService,
    @Inject(OrchestrationStepExecutorService) private readonly executor: OrchestrationStepExecutorService,
    @Inject(AgentPlanner) private readonly planner: AgentPlanner,
    @Inject(StepCacheService) private readonly cache: StepCacheService,
    // Issue 16 hook (ops helper): safe, degraded and draining modes stop new claims; bound by @baton/ops.
    @Optional() @Inject(DispatchGate) private readonly gate?: DispatchGate,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.stopped = false;
    // Our own notifications are skipped: the in-process event already woke us.
    this.unlisten.push(await this.db.listen(WORK_CHANNEL, (from) => from !== this.config.instanceId && this.wake()));
    this.unlisten.push(await this.db.listen(CANCEL_CHANNEL, (payload) => this.stopRuns(payload.split(','))));
    // Back from an outage: keep our leases (renew first), then catch up on missed NOTIFYs.
    const unsubscribeReconnect = this.db.onReconnect(() => void this.sweep());
    this.unlisten.push(async () => void unsubscribeReconnect());
    const unsubscribeGate = this.gate?.onOpen(() => this.wake());
    this.unlisten.push(async () => void unsubscribeGate?.());
    const renewEvery = Math.max(250, (this.config.leaseSeconds * 1000) / 3);
    this.timers.push(setInterval(() => void this.renewLeases(), renewEvery));
    this.timers.push(setInterval(() => void this.sweep(), this.config.pollIntervalMs));
    // Recover what a previous process left behind, then look for work.
    await this.sweep();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    if (this.dueTimer) clearTimeout(this.dueTimer);
    for (const unlisten of this.unlisten) await unlisten().catch(() => undefined);
    await this.draining;
    const pending = [...this.inFlight.values()];
    // Half the process's grace at most: the hand-back below must fit in the rest.
    const graceMs = Math.min(SHUTDOWN_GRACE_MS, this.config.shutdownGraceMs / 2);
    const grace = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all(pending.map((f) => f.done)), grace]);
    for (const flight of this.inFlight.values()) {
      flight.abort.abort('shutdown' satisfies StopReason);
      await this.leases.release(flight.step).catch(() => undefined);
    }
  }

  /** Steps running in this process now. */
  get activeSteps(): number {
    return this.inFlight.size;
  }

  /**
   * Asks for a claim. Wake-ups in the same turn of the event loop (several completions, the
   * after-commit event, a NOTIFY) fold into one claim; one during a claim makes it go again.
   */
  @OnEvent(WORK_AVAILABLE_EVENT)
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      if (this.stopped) return;
      if (this.claiming) this.claimAgain = true;
      else this.draining = this.drain();
    });
  }

  @OnEvent(RUNS_STOPPED_EVENT)
  stopRuns(runIds: string[]): void {
    const stopped = new Set(runIds);
    for (const flight of this.inFlight.values()) {
      if (stopped.has(flight.step.runId)) flight.abort.abort('run_stopped' satisfies StopReason);
    }
  }

  /** Wakes the loop when a retry scheduled here becomes due (other instances poll for it). */
  wakeAt(delayMs: number): void {
    const at = Date.now() + delayMs;
    if (at >= this.dueAt) return;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueAt = at;
    this.dueTimer = setTimeout(() => {
      this.dueAt = Number.POSITIVE_INFINITY;
      this.dueTimer = undefined;
      this.wake();
    }, Math.max(delayMs, 0) + 5);
  }

  private async drain(): Promise<void> {
    this.claiming = true;
    try {
      do {
        this.claimAgain = false;
        const capacity = this.config.workerConcurrency - this.inFlight.size;
        if (capacity <= 0) break;
        // Closed gate (issue 16): claim no new step; running steps carry on, and so does a step
        // a worker node's result woke (it was running when the gate closed); onOpen wakes us.
        const closed = this.gate !== undefined && !this.gate.allowsDispatch();
        const claimed = await this.leases.claim(this.config.instanceId, this.config.leaseSeconds, {
          capacity,
          globalMax: this.config.maxConcurrency,
          agentPlan: (agents, capabilities) => this.planner.plan(agents, capabilities),
          maxConcurrentWorkflows: this.config.maxConcurrentWorkflows,
          continuationsOnly: closed,
        });
        for (const step of claimed) this.start(step);
        // A full batch means there may be more; a short one means the queue is drained.
        if (claimed.length === capacity) this.claimAgain = true;
        // Let HTTP requests in between claims (on PGlite a statement holds the event loop).
        if (this.claimAgain) await new Promise((resolve) => setImmediate(resolve));
      } while (this.claimAgain && !this.stopped);
    } catch (error) {
      // During an outage the reconnect's sweep wakes us; the timer is only a safety net.
      if (!isDatabaseUnavailable(error)) this.logger.error(`claim failed: ${(error as Error).message}`);
      if (!this.stopped) this.wakeAt(1000);
    } finally {
      this.claiming = false;
    }
  }

  private start(step: ClaimedStep): void {
    const abort = new AbortController();
    const done = this.execute(step, abort.signal)
      .catch((error) => this.logger.error(`step ${step.runId}/${step.key} crashed: ${(error as Error)?.stack ?? error}`))
      .finally(() => {
        this.inFlight.delete(step.id);
        this.wake();
      });
    this.inFlight.set(step.id, { step, abort, done });
  }

  /**
   * Runs the step; when that fails because the database went away (a read before the agent
   * call, a report that could not be written), runs it again once the database is back. The
   * step stays in flight meanwhile, so its lease is renewed rather than recovered by a sweep,
   * and every report carries the claim's fencing token, so a repeat never completes it twice.
   */
  private async execute(step: ClaimedStep, signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        return await this.executor.execute(step, signal);
      } catch (error) {
        if (signal.aborted || !isDatabaseUnavailable(error)) throw error;
        this.logger.warn(`step ${step.runId}/${step.key} waits for the database: ${(error as Error).message}`);
        await this.db.health.whenConnected(signal);
        await new Promise((resolve) => setTimeout(resolve, 250));
        if (signal.aborted) return;
      }
    }
  }

  /**
   * A retry this instance scheduled: wake when its backoff has passed. (Another instance's
   * retries are that instance's to wake for; if it died, the safety poll finds them.)
   */
  @OnEvent('orchestration.step.retrying')
  onRetryScheduled(event: { data?: { delayMs?: unknown } }): void {
    const delayMs = Number(event?.data?.delayMs);
    if (Number.isFinite(delayMs)) this.wakeAt(delayMs);
  }

  /** Returns false when the renewal could not be written (the database is away). */
  private async renewLeases(): Promise<boolean> {
    const ids = [...this.inFlight.keys()];
    if (ids.length === 0) return true;
    try {
      const held = await this.leases.renew(ids, this.config.instanceId, this.config.leaseSeconds);
      for (const id of ids) {
        if (!held.has(id)) this.inFlight.get(id)?.abort.abort('lease_lost' satisfies StopReason);
      }
      return true;
    } catch (error) {
      this.logger.warn(`lease renewal failed: ${(error as Error).message}`);
      return false;
    }
  }

  /**
   * The safety net: recover expired leases, prune the cache, and look for work. Our own
   * leases are renewed first: after a database outage longer than the lease, the steps this
   * process is still running must not be taken for orphans and run a second time.
   */
  private async sweep(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!(await this.renewLeases())) return;
      await this.leases.recoverExpired(this.config.maxLeaseRecoveries);
      await this.cache.pruneExpired();
    } catch (error) {
      this.logger.warn(`sweep failed: ${(error as Error).message}`);
    }
    this.wake();
  }
}
