import { Inject, Injectable } from '@nestjs/common';
import { Database, type Transaction } from '@baton/db';
import { EventLogService, type NewEvent } from '@baton/events';
import { chooseClaims, type AgentPlan } from '../domain/agent-choice.js';
import type { ClaimedStep } from '../domain/run.types.js';
import { RunRepository } from '../repositories/run.repository.js';
import { ClaimLocksRepository, GLOBAL_CLAIM_LOCK_KEY, type Reservation } from '../repositories/claim-locks.repository.js';
import { StepLeaseRepository } from '../repositories/step-lease.repository.js';
import { StepRepository } from '../repositories/step.repository.js';
import { RunLifecycleService } from './run-lifecycle.service.js';

export interface ClaimLimits {
  /** Steps this caller can take now. */
  capacity: number;
  /** Running steps allowed across all instances. */
  globalMax: number;
  /**
   * Slots, breaker states and capability holders for the agents and capabilities the
   * candidates name (the claimer knows agents; `runs` does not).
   */
  agentPlan: (agents: string[], capabilities: string[]) => Promise<AgentPlan>;
  /** MAX_CONCURRENT_WORKFLOWS: open top-level runs allowed; undefined = no admission control. */
  maxConcurrentWorkflows?: number;
  /**
   * Only steps that continue work already under way (woken by their worker node's result):
   * what a closed dispatch gate still lets through, since that step was running when it closed.
   */
  continuationsOnly?: boolean;
}

/** What a hand-off claimed, and whether due steps of its runs were left for a normal claim. */
export interface Handoff {
  claimed: ClaimedStep[];
  /** True when due steps of these runs may still be unclaimed (a wake-up must follow). */
  left: boolean;
  /** True when the caller's `leading` events were appended with the claim's own. */
  wroteLeading: boolean;
}

/** A claim that must be retried under the exclusive global lock (see `globalSlots`). */
const CONTENDED = Symbol('contended');

/** Claiming steps under their slots, keeping leases alive, and recovering lost ones. */
@Injectable()
export class StepLeaseService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(StepLeaseRepository) private readonly leases: StepLeaseRepository,
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(StepRepository) private readonly steps: StepRepository,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
    @Inject(EventLogService) private readonly events: EventLogService,
    @Inject(ClaimLocksRepository) private readonly locks: ClaimLocksRepository,
  ) {}

  /**
   * Claims up to `capacity` due steps, honouring the run, agent and global slots, each under
   * its own lock (issue 17): each run behind a try-lock (a run another claim holds is
   * skipped, so two claims take disjoint runs), limited and routed agents an advisory lock each, and the global limit is a
   * shared lock plus an announced reservation. Only a claim that cannot prove it stays under
   * the global limit that way (near it, racing another) retries under the exclusive lock,
   * which is the old serialized claim.
   */
  async claim(owner: string, leaseSeconds: number, limits: ClaimLimits): Promise<ClaimedStep[]> {
    if (limits.capacity <= 0) return [];
    if (limits.maxConcurrentWorkflows !== undefined) await this.admit(limits.maxConcurrentWorkflows);
    const claimed = await this.db.transaction((tx) => this.claimIn(tx, 'shared', owner, leaseSeconds, limits));
    if (claimed !== CONTENDED) return claimed;
    // Exclusive: globalSlots counts exactly and never answers CONTENDED.
    return (await this.db.transaction((tx) => this.claimIn(tx, 'exclusive', owner, leaseSeconds, limits))) as ClaimedStep[];
  }

  /**
   * The hand-off (issue 17): inside the transaction that completed steps of `runIds` and
   * queued their successors, claims the due steps of those runs for this owner, so the
   * successors start without a wake-up and a claim transaction of their own. The same claim
   * as `claim` (run, agent and global limits, breakers, leases, events), restricted to these
   * runs, except that it never waits for a lock: the completing transaction already holds
   * run and event rows that a claim waiting on it may want. A lock another claim holds, or a
   * global count it cannot prove safe, ends the hand-off with nothing written (`left`), and
   * the caller wakes the normal claim as before. Admission is not run: these runs are
   * admitted already.
   */
  async handOff(
    tx: Transaction, runIds: string[], owner: string, leaseSeconds: number, limits: ClaimLimits, leading: NewEvent[] = [],
    locked?: { global: boolean; run: boolean },
  ): Promise<Handoff> {
    if (limits.capacity <= 0 || runIds.length === 0) return { claimed: [], left: true, wroteLeading: false };
    const report = { left: false, wroteLeading: false };
    const claimed = await this.claimIn(tx, 'shared', owner, leaseSeconds, limits, { runIds, report, leading, locked });
    return claimed === CONTENDED ? { claimed: [], left: true, wroteLeading: false } : { claimed, left: report.left, wroteLeading: report.wroteLeading };
  }

  /**
   * A new run's first steps (issue 17): `handOff` in a transaction of its own, for runs this
   * process just created. Steps it leaves (or a hand-off it could not make) are announced to
   * the other instances, as a claim round that held runs with steps left announces them: an
   * instance woken by the runs' creation may have found them locked by this hand-off and
   * skipped them, and nothing else would wake it (two-instances.int-spec.ts saw the second
   * instance idle for a whole run without this).
   */
  startRuns(runIds: string[], owner: string, leaseSeconds: number, limits: ClaimLimits): Promise<Handoff> {
    return this.db.transaction(async (tx) => {
      const handoff = await this.handOff(tx, runIds, owner, leaseSeconds, limits);
      if (handoff.left) await this.lifecycle.signalWork(tx);
      return handoff;
    });
  }

  /** MAX_CONCURRENT_WORKFLOWS: its own lock and transaction, so it holds no claim back. */
  private admit(limit: number): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      await this.locks.lockAdmission(tx);
      return this.leases.admit(limit, tx);
    });
  }

  /**
   * One claim. Nothing is written before the global slots are settled, so a CONTENDED
   * answer leaves the transaction empty. Lock order, the same for every claim: global
   * (shared or exclusive), runs (try-lock, never waits), agents (sorted), reservation
   * (shared, never waits), then rows. A hand-off takes its reservation with its candidates,
   * before its agents: it waits for neither (try-locks), so the order cannot deadlock, and
   * a reservation is never held while waiting (one held after a refused agent try-lock
   * lasts until the hand-off's commit, a moment).
   */
  private async claimIn(
    tx: Transaction, mode: 'shared' | 'exclusive', owner: string, leaseSeconds: number, limits: ClaimLimits,
    handoff?: { runIds: string[]; report: { left: boolean; wroteLeading: boolean }; leading: NewEvent[]; locked?: { global: boolean; run: boolean } },
  ): Promise<ClaimedStep[] | typeof CONTENDED> {
    const scan = Math.max(limits.capacity * 2, 32);
    const continuationsOnly = limits.continuationsOnly ?? false;
    let runIds: string[];
    if (handoff) {
      // Global (shared) and runs in one statement, with try-locks only; for one run's batch,
      // the completion's statement took them already (`locked`, StepRepository.completeMany).
      const runs = handoff.locked && handoff.runIds.length === 1
        ? { global: handoff.locked.global, locked: handoff.locked.run ? handoff.runIds : [], skipped: !handoff.locked.run }
        : await this.leases.tryLockDueRuns(handoff.runIds, GLOBAL_CLAIM_LOCK_KEY, tx, continuationsOnly);
      // An exclusive claim under way; or another claim holds one of these runs and may be
      // waiting for this transaction's rows of it (its events): claiming elsewhere could
      // then wait on that claim's rows (an agent's last-claim row), a deadlock. Either way
      // everything is left to the normal claim.
      if (!runs.global || runs.skipped) return CONTENDED;
      runIds = runs.locked;
    } else {
      await this.locks.lockGlobal(mode, tx);
      runIds = await this.leases.lockRuns(scan, tx, continuationsOnly);
    }
    if (runIds.length === 0) return [];
    // A hand-off waits for no lock, so its candidates' statement makes its reservation too.
    const reserve = handoff && mode === 'shared' ? { capacity: limits.capacity, globalMax: limits.globalMax } : undefined;
    const { candidates, reservation } = await this.leases.candidates(runIds, scan, tx, continuationsOnly, reserve);
    if (candidates.length === 0) return [];
    const agents = [...new Set(candidates.flatMap((c) => [c.agent, c.servedBy]).filter((a): a is string => !!a && !a.startsWith('builtin:')))];
    const capabilities = [...new Set(candidates.filter((c) => !c.agent && c.capability).map((c) => c.capability!))];
    const plan = await limits.agentPlan(agents, capabilities);
    const routed = [...new Set([...plan.byCapability.values()].flat())];
    // Limited agents for their slots, routed ones for their least-recently-used order.
    const agentKeys = [...new Set([...agents.filter((a) => plan.limits.has(a)), ...routed])];
    if (!handoff) await this.locks.lockAgents(agentKeys, tx);
    else if (!(await this.locks.tryLockAgents(agentKeys, tx))) return CONTENDED;
    const wanted = Math.min(limits.capacity, candidates.length);
    const slots = await this.globalSlots(tx, mode, wanted, limits.globalMax, [...plan.limits.keys()], reservation);
    if (slots === CONTENDED) return CONTENDED;
    const choice = chooseClaims(candidates, plan, {
      free: slots.free,
      running: slots.byAgent,
      lastUsed: await this.leases.lastUsed(routed, tx),
    });
    // Steps neither claimed nor parked, or a scan that may have stopped short: left queued.
    const left = candidates.length === scan || choice.claim.length + choice.park.length < candidates.length;
    const leading = handoff?.leading ?? [];
    const served = choice.claim.map((c) => c.servedBy).filter((a): a is string => !!a && !a.startsWith('builtin:'));
    let claimed: ClaimedStep[];
    if (choice.claim.length > 0 && choice.park.length === 0) {
      // The usual claim: one statement claims, starts pending runs, records the agents and
      // appends every event (a hand-off's completion events first).
      const recorded = await this.claimRecorded(tx, choice.claim, owner, leaseSeconds, slots.room, { leading, agents: served });
      if (recorded === 'no_room') return CONTENDED;
      claimed = recorded;
    } else {
      const separate = await this.claimSeparately(tx, choice, owner, leaseSeconds, slots.room, leading, served);
      if (separate === CONTENDED) return CONTENDED;
      claimed = separate;
    }
    if (handoff) {
      handoff.report.wroteLeading = true;
      if (left) handoff.report.left = true;
    }
    // Full, with steps left in runs this claim held: other instances skipped those runs, so
    // wake them once this commits (before issue 17 they waited on the lock instead). A
    // hand-off reports it instead (`left`): its caller signals once for everything.
    if (!handoff && claimed.length > 0 && claimed.length === limits.capacity && candidates.length > claimed.length) {
      await this.lifecycle.signalWork(tx);
    }
    return claimed;
  }

  /** `StepLeaseRepository.claimRecorded`, whose events count as an append (health, emission). */
  private async claimRecorded(
    tx: Transaction, picks: Array<{ id: string; servedBy: string | null }>, owner: string, leaseSeconds: number,
    room: { atMost: number; globalMax: number } | null, record: { leading: NewEvent[]; agents: string[] },
  ): Promise<ClaimedStep[] | 'no_room'> {
    let recorded: Awaited<ReturnType<StepLeaseRepository['claimRecorded']>>;
    try {
      recorded = await this.leases.claimRecorded(picks, owner, leaseSeconds, room, record, tx);
    } catch (error) {
      this.events.reportAppendFailure(error);
      throw error;
    }
    if (recorded === 'no_room') return recorded;
    this.events.adopt(tx, recorded.events);
    return recorded.claimed;
  }

  /**
   * The claim with breaker parks (or parks alone), a statement each: the claim first, since
   * a shared claim's recount of the global limit is in its statement and a refusal must
   * leave the transaction as empty as a CONTENDED answer always has; then the parks, the
   * agents' times, the runs that start, and one append.
   */
  private async claimSeparately(
    tx: Transaction, choice: ReturnType<typeof chooseClaims>, owner: string, leaseSeconds: number,
    room: { atMost: number; globalMax: number } | null, leading: NewEvent[], served: string[],
  ): Promise<ClaimedStep[] | typeof CONTENDED> {
    let claimed: ClaimedStep[] = [];
    if (choice.claim.length > 0) {
      const within = await this.leases.claimWithin(choice.claim, owner, leaseSeconds, room, tx);
      if (within === 'no_room') return CONTENDED;
      claimed = within;
    }
    const parked = await this.leases.parkForAgent(choice.park, tx);
    const events: NewEvent[] = [...leading];
    for (const s of parked) {
      events.push({ runId: s.runId, type: 'step.waiting', stepKey: s.key, data: { reason: 'breaker_open', from: 'queued', to: 'waiting' } });
    }
    if (claimed.length > 0) {
      await this.leases.recordClaims(served, tx);
      const pending = [...new Set(claimed.filter((s) => s.runStatus === 'pending').map((s) => s.runId))];
      const started = pending.length > 0 ? await this.runs.markStarted(pending, tx) : [];
      for (const runId of started) events.push({ runId, type: 'run.started', data: { from: 'pending', to: 'running' } });
      for (const step of claimed) {
        const data = { attempt: step.attempt, agent: step.agent, servedBy: step.servedBy, instance: owner, from: 'queued', to: 'running' };
        events.push({ runId: step.runId, type: 'step.started', stepKey: step.key, data });
      }
    }
    await this.events.append(tx, events);
    return claimed;
  }

  /**
   * Global slots this claim may fill, the running steps of the agents with limits (read
   * after the agent locks, so exact for them), and the recount the claim's statement must
   * pass (`room`). Exclusive: no other claim is under way, count and fill. Shared: announce a
   * reservation sized from a lock-free estimate, then read the others' reservations (one
   * statement), then count in a later statement: the claim's own (`room`); if running +
   * reservations could pass the limit, the claim is CONTENDED and retried exclusive. Of any
   * set of overlapping shared claims, the one that read reservations last saw every other
   * one (announced or committed), so its check bounds them all.
   */
  private async globalSlots(
    tx: Transaction, mode: 'shared' | 'exclusive', wanted: number, globalMax: number, limited: string[], made: Reservation | null,
  ): Promise<{ free: number; byAgent: Map<string, number>; room: { atMost: number; globalMax: number } | null } | typeof CONTENDED> {
    if (mode === 'exclusive') {
      const running = await this.leases.runningCounts(tx);
      return { free: Math.min(wanted, globalMax - running.total), byAgent: running.byAgent, room: null };
    }
    const estimate = made ?? (await this.locks.estimateAndReserve(wanted, globalMax, tx));
    const want = estimate.want;
    // At the limit nothing can be claimed (a finishing step wakes the claimers); short of it
    // but with the rest announced by others, only the exclusive recount can tell.
    if (want <= 0) return estimate.running >= globalMax ? { free: 0, byAgent: new Map(), room: null } : CONTENDED;
    if (estimate.others + want > globalMax) return CONTENDED;
    const byAgent = limited.length > 0 ? await this.leases.runningOf(limited, tx) : new Map<string, number>();
    return { free: want, byAgent, room: { atMost: estimate.others + want, globalMax } };
  }

  renew(ids: string[], owner: string, leaseSeconds: number): Promise<Set<string>> {
    return this.leases.renew(ids, owner, leaseSeconds);
  }

  /** Re-queues steps whose lease expired; fails those that lost it too often. Returns how many moved. */
  async recoverExpired(maxRecoveries: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { requeued, exhausted } = await this.leases.recoverExpired(maxRecoveries, tx);
      const events: NewEvent[] = requeued.map((s) => ({ runId: s.runId, type: 'step.recovered', stepKey: s.key, data: { from: 'running', to: 'queued' } }));
      await this.events.append(tx, events);
      for (const lost of exhausted) {
        const error = { message: `the step's worker was lost ${maxRecoveries + 1} times (lease expired)`, code: 'lease_expired', retryable: false };
        const finished = await this.steps.finish(lost.id, lost.token, 'failed', { error }, tx);
        if (!finished) continue;
        await this.events.append(tx, [{ runId: finished.runId, type: 'step.failed', stepKey: finished.key, data: { error, from: finished.from, to: 'failed' } }]);
        await this.lifecycle.finishRun(tx, finished.runId, 'failed', { error: { ...error, stepKey: finished.key } });
      }
      if (requeued.length > 0) await this.lifecycle.signalWork(tx);
      return requeued.length + exhausted.length;
    });
  }

  /**
   * The steps of these runs leased to `owner` now. After a completion whose commit answer was
   * lost, its hand-off may have claimed successors nobody here started: the owner reads them
   * back and runs those it does not hold, instead of leaving them to lease recovery.
   */
  heldBy(owner: string, runIds: string[]): Promise<ClaimedStep[]> {
    return runIds.length === 0 ? Promise.resolve([]) : this.leases.heldBy(owner, runIds, this.db);
  }

  /** Gives a claimed step back to the queue without spending its attempt (graceful shutdown). */
  async release(step: ClaimedStep): Promise<boolean> {
    const released = await this.leases.release(step.id, step.token);
    if (released) await this.db.query(`select pg_notify('baton_work', '')`);
    return released;
  }

  nextDueAt(): Promise<Date | null> {
    return this.leases.nextDueAt();
  }
}
