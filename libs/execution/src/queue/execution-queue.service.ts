import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { BatonConfig, DispatchGate } from '@baton/common';
import { Database, isDatabaseUnavailable } from '@baton/db';
import {
  CANCEL_CHANNEL,
  RUNS_CREATED_EVENT,
  type CreatedRun,
  RUNS_STOPPED_EVENT,
  StepLeaseService,
  WORK_AVAILABLE_EVENT,
  WORK_CHANNEL,
  type ClaimedStep,
  type ClaimLimits,
} from '@baton/runs';
import { LeasedWork, WorkLoop } from '@baton/work';
import { AgentPlanner } from '../breakers/agent-planner.service.js';
import { StepCacheService } from '../cache/step-cache.service.js';
import { CompletionBuffer, type HandoffGrant, type HandoffTarget } from './completion-buffer.service.js';
import { OrchestrationStepExecutorService } from '../executor/step-executor.service.js';

/** How long shutdown waits for in-flight steps before handing them back (less when BATON_SHUTDOWN_GRACE_MS is short). */
const SHUTDOWN_GRACE_MS = 5_000;
/** After a claim failed for another reason than an outage, the next try. */
const CLAIM_RETRY_MS = 1_000;
/**
 * Slots a hand-off may take beyond those its own finishing steps give back. A hand-off holds
 * what it is granted until its transaction ends, and claim rounds count that as taken: a
 * grant of every free slot let overlapping completion batches keep the claim loop at zero
 * (measured: a chain beside background runs waited 6.6 s, the slow poll, at p99). A larger
 * fan-out than this is left to the claim round, which the hand-off's notify wakes.
 */
const HANDOFF_EXTRA_SLOTS = 16;

/**
 * The claim loop of one instance, on libs/work: a `WorkLoop` claims only when told there is
 * work (in-process event, NOTIFY from another instance, a due retry, or the slow safety-net
 * sweep) and fills its free capacity in batches; `LeasedWork` holds the steps it runs, keeps
 * their leases alive, aborts a step whose lease or run is gone, and hands back at shutdown
 * what did not finish within the grace. Idle, it does nothing.
 */
@Injectable()
export class OrchestrationExecutionService implements OnApplicationBootstrap, OnApplicationShutdown, HandoffTarget {
  private readonly logger = new Logger('ExecutionQueue');
  private readonly loop: WorkLoop;
  private readonly inFlight: LeasedWork<ClaimedStep>;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = true;
  private unlisten: Array<() => Promise<void>> = [];
  /** Slots promised to a claim round, and to hand-offs, under way (so neither overfills). */
  private roundSlots = 0;
  private handoffSlots = 0;
  /** Finished steps whose hand-off settled their slots: their end owes no wake-up. */
  private readonly settled = new Set<string>();
  /**
   * A claim round found no slot because hand-offs held them. A hand-off promises all free
   * slots while it runs and usually fills few, so its end must wake the claim: otherwise
   * due steps (a run the hand-off could not take, other runs) wait for the slow poll.
   */
  private starved = false;

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(Database) private readonly db: Database,
    @Inject(StepLeaseService) private readonly leases: StepLeaseService,
    @Inject(OrchestrationStepExecutorService) private readonly executor: OrchestrationStepExecutorService,
    @Inject(AgentPlanner) private readonly planner: AgentPlanner,
    @Inject(StepCacheService) private readonly cache: StepCacheService,
    @Inject(CompletionBuffer) completions: CompletionBuffer,
    // Issue 16 hook (ops helper): safe, degraded and draining modes stop new claims; bound by @baton/ops.
    @Optional() @Inject(DispatchGate) private readonly gate?: DispatchGate,
  ) {
    this.loop = new WorkLoop({
      name: 'execution',
      round: () => this.claimRound(),
      // The sweep below is the safety net: it also renews and recovers leases before it wakes us.
      pollMs: 0,
      onError: (error) => {
        // During an outage the reconnect's sweep wakes us; the due time is only a safety net.
        if (!isDatabaseUnavailable(error)) this.logger.error(`claim failed: ${(error as Error).message}`);
        this.loop.dueAt(Date.now() + CLAIM_RETRY_MS);
      },
    });
    this.inFlight = new LeasedWork<ClaimedStep>({
      renew: (ids) => this.leases.renew(ids, config.instanceId, config.leaseSeconds),
      release: (step) => this.leases.release(step),
      renewEveryMs: Math.max(250, (config.leaseSeconds * 1000) / 3),
      onError: (error) => this.logger.warn(`lease renewal failed: ${(error as Error).message}`),
    });
    completions.handOffTo(this);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stopped = false;
    // Our own notifications are skipped: the in-process event already woke us.
    await this.loop.listen(this.db, WORK_CHANNEL, (from) => from !== this.config.instanceId);
    this.unlisten.push(await this.db.listen(CANCEL_CHANNEL, (payload) => this.stopRuns(payload.split(','))));
    // Back from an outage: keep our leases (renew first), then catch up on missed NOTIFYs.
    const unsubscribeReconnect = this.db.onReconnect(() => void this.sweep());
    this.unlisten.push(async () => void unsubscribeReconnect());
    const unsubscribeGate = this.gate?.onOpen(() => this.wake());
    this.unlisten.push(async () => void unsubscribeGate?.());
    this.timers.push(setInterval(() => void this.sweep(), this.config.pollIntervalMs));
    // Recover what a previous process left behind, then look for work.
    this.loop.start();
    await this.sweep();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const unlisten of this.unlisten) await unlisten().catch(() => undefined);
    await this.loop.stop();
    // Half the process's grace at most: the hand-back must fit in the rest.
    await this.inFlight.shutdown(Math.min(SHUTDOWN_GRACE_MS, this.config.shutdownGraceMs / 2));
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
    this.loop.wake();
  }

  /**
   * Runs created in this process (issue 17): their first steps are claimed by a hand-off of
   * their own (`StepLeaseService.handOff`: a try-lock of the runs, their candidates with the
   * reservation, the recorded claim), as a completion claims its successors, instead of a
   * claim round (global lock, a scan of every claimable run, the estimate). What the
   * hand-off does not take, or a hand-off that cannot be made (no slot, a closed gate, a
   * lock held elsewhere, a run waiting for admission), falls back to the claim round.
   *
   * Its grant is what the runs can start, up to every free slot: capped at 16 like a
   * completion's, a 10,000-step run started as two cohorts and the fan-out ran slower (in 4
   * of 5 alternated pairs); sized by the runs, a one-step run holds one slot for the moment
   * its hand-off takes, not all of them (docs/performance.md).
   */
  @OnEvent(RUNS_CREATED_EVENT)
  startCreated(created: CreatedRun[]): void {
    const runIds = created.map((run) => run.runId);
    const grant = this.grant([], { upTo: created.reduce((n, run) => n + run.firstSteps, 0) });
    if (!grant) return this.wake();
    const { owner, leaseSeconds, limits } = grant.request;
    let claimed: ClaimedStep[] | null = null;
    void this.leases
      .startRuns(runIds, owner, leaseSeconds, limits)
      .then((handoff) => {
        claimed = handoff.claimed;
        // Steps left: `startRuns` signalled (here too, after its commit). Nothing claimed
        // and nothing left: the runs' steps are not due here (admission, a closed gate).
        if (!handoff.left && handoff.claimed.length === 0) this.wake();
      })
      .catch((error) => {
        if (!isDatabaseUnavailable(error)) this.logger.warn(`hand-off of new runs failed: ${(error as Error).message}`);
        this.wake();
      })
      .finally(() => grant.done(claimed ? { claimed, settled: [] } : null));
  }

  @OnEvent(RUNS_STOPPED_EVENT)
  stopRuns(runIds: string[]): void {
    const stopped = new Set(runIds);
    this.inFlight.abortWhere((step) => stopped.has(step.runId), 'run_stopped');
  }

  /** Wakes the loop when a retry scheduled here becomes due (other instances poll for it). */
  wakeAt(delayMs: number): void {
    this.loop.dueAt(Date.now() + Math.max(delayMs, 0) + 5);
  }

  /** One claim of up to the free capacity; true when the batch was full (there may be more). */
  private async claimRound(): Promise<boolean> {
    const capacity = this.config.workerConcurrency - this.inFlight.size - this.handoffSlots;
    if (capacity <= 0) {
      if (this.handoffSlots > 0) this.starved = true;
      return false;
    }
    this.roundSlots = capacity;
    try {
      const claimed = await this.leases.claim(this.config.instanceId, this.config.leaseSeconds, this.limits(capacity));
      for (const step of claimed) this.start(step);
      return claimed.length === capacity;
    } finally {
      this.roundSlots = 0;
    }
  }

  /** The claim limits for `capacity` steps. */
  private limits(capacity: number): ClaimLimits {
    // Closed gate (issue 16): claim no new step; running steps carry on, and so does a step
    // a worker node's result woke (it was running when the gate closed); onOpen wakes us.
    const closed = this.gate !== undefined && !this.gate.allowsDispatch();
    return {
      capacity,
      globalMax: this.config.maxConcurrency,
      agentPlan: (agents, capabilities) => this.planner.plan(agents, capabilities),
      maxConcurrentWorkflows: this.config.maxConcurrentWorkflows,
      continuationsOnly: closed,
    };
  }

  /**
   * The hand-off (issue 17): a completion batch of our steps claims their runs' next steps
   * in its own transaction, up to the slots free now plus those its steps give back (they
   * are still in flight until their report returns). The steps claimed start at once.
   * `upTo`: a new run's start (`startCreated`), granted what it can start instead.
   */
  grant(stepIds: string[], options: { upTo?: number } = {}): HandoffGrant | null {
    if (this.stopped || !this.config.handoff) return null;
    const returning = stepIds.filter((id) => this.inFlight.has(id)).length;
    const free = this.config.workerConcurrency - this.inFlight.size - this.roundSlots - this.handoffSlots + returning;
    const capacity = Math.min(free, options.upTo ?? returning + HANDOFF_EXTRA_SLOTS);
    if (capacity <= 0) return null;
    const limits = this.limits(capacity);
    // A closed gate lets only continuations through; the successors of a finished step are new work.
    if (limits.continuationsOnly) return null;
    this.handoffSlots += capacity;
    let open = true;
    return {
      request: { owner: this.config.instanceId, leaseSeconds: this.config.leaseSeconds, limits },
      done: (result) => {
        if (!open) return;
        open = false;
        this.handoffSlots -= capacity;
        if (this.starved) {
          this.starved = false;
          this.wake();
        }
        if (!result) return;
        if (this.stopped) {
          // Shut down meanwhile: hand them straight back (lease recovery would, later).
          for (const step of result.claimed) void this.leases.release(step).catch(() => undefined);
          return;
        }
        for (const id of result.settled) if (this.inFlight.has(id)) this.settled.add(id);
        for (const step of result.claimed) this.start(step);
      },
    };
  }

  async adoptLeased(runIds: string[]): Promise<void> {
    if (this.stopped) return;
    const held = await this.leases.heldBy(this.config.instanceId, runIds);
    for (const step of held) this.start(step);
  }

  /** Starts a claimed step; one already running here (a claim and an adoption both saw it) is left alone. */
  private start(step: ClaimedStep): void {
    if (this.inFlight.has(step.id)) return;
    void this.inFlight
      .run(step.id, step, (signal) => this.execute(step, signal))
      .catch((error) => this.logger.error(`step ${step.runId}/${step.key} crashed: ${(error as Error)?.stack ?? error}`))
      // Its slot is free: wake the claim, unless the hand-off already filled it (settled).
      .finally(() => {
        if (!this.settled.delete(step.id)) this.wake();
      });
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

  /**
   * The safety net: recover expired leases, prune the cache, and look for work. Our own
   * leases are renewed first: after a database outage longer than the lease, the steps this
   * process is still running must not be taken for orphans and run a second time.
   */
  private async sweep(): Promise<void> {
    if (this.stopped) return;
    try {
      // null: the renewal could not be written (the database is away).
      if ((await this.inFlight.renewNow()) === null) return;
      await this.leases.recoverExpired(this.config.maxLeaseRecoveries);
      await this.cache.pruneExpired();
    } catch (error) {
      this.logger.warn(`sweep failed: ${(error as Error).message}`);
    }
    this.wake();
  }
}
