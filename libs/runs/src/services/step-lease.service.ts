import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { EventLogService, type NewEvent } from '@baton/events';
import { chooseClaims, type AgentPlan } from '../domain/agent-choice.js';
import type { ClaimedStep } from '../domain/run.types.js';
import { RunRepository } from '../repositories/run.repository.js';
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
  ) {}

  /**
   * Claims up to `capacity` due steps in one transaction, honouring the run, global and
   * agent slots. Claims from all instances are serialized by an advisory lock held for the
   * transaction, so two claimers can never both fill the same free slot.
   */
  async claim(owner: string, leaseSeconds: number, limits: ClaimLimits): Promise<ClaimedStep[]> {
    if (limits.capacity <= 0) return [];
    return this.db.transaction(async (tx) => {
      await this.leases.lockClaims(tx);
      if (limits.maxConcurrentWorkflows !== undefined) await this.leases.admit(limits.maxConcurrentWorkflows, tx);
      const scan = Math.max(limits.capacity * 2, 32);
      const candidates = await this.leases.candidates(scan, tx, limits.continuationsOnly ?? false);
      if (candidates.length === 0) return [];
      const agents = [...new Set(candidates.flatMap((c) => [c.agent, c.servedBy]).filter((a): a is string => !!a && !a.startsWith('builtin:')))];
      const capabilities = [...new Set(candidates.filter((c) => !c.agent && c.capability).map((c) => c.capability!))];
      const plan = await limits.agentPlan(agents, capabilities);
      const running = await this.leases.runningCounts(tx);
      const routed = [...new Set([...plan.byCapability.values()].flat())];
      const choice = chooseClaims(candidates, plan, {
        free: Math.min(limits.capacity, limits.globalMax - running.total),
        running: running.byAgent,
        lastUsed: await this.leases.lastUsed(routed, tx),
      });
      const parked = await this.leases.parkForAgent(choice.park, tx);
      const events: NewEvent[] = parked.map((s) => ({
        runId: s.runId, type: 'step.waiting', stepKey: s.key, data: { reason: 'breaker_open', from: 'queued', to: 'waiting' },
      }));
      if (choice.claim.length === 0) {
        await this.events.append(tx, events);
        return [];
      }
      const claimed = await this.leases.claim(choice.claim, owner, leaseSeconds, tx);
      const pending = [...new Set(claimed.filter((s) => s.runStatus === 'pending').map((s) => s.runId))];
      const started = pending.length > 0 ? await this.runs.markStarted(pending, tx) : [];
      for (const runId of started) events.push({ runId, type: 'run.started', data: { from: 'pending', to: 'running' } });
      for (const step of claimed) {
        const data = { attempt: step.attempt, agent: step.agent, servedBy: step.servedBy, instance: owner, from: 'queued', to: 'running' };
        events.push({ runId: step.runId, type: 'step.started', stepKey: step.key, data });
      }
      await this.events.append(tx, events);
      return claimed;
    });
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
