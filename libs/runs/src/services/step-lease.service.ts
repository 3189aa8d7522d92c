import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { EventLogService, type NewEvent } from '@baton/events';
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
  /** Per-agent limits (registry maxConcurrency), for the agents that have one. */
  agentLimits: (agents: string[]) => Promise<Map<string, number>>;
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
      const scan = Math.max(limits.capacity * 2, 32);
      const candidates = await this.leases.candidates(scan, tx);
      if (candidates.length === 0) return [];
      const agents = [...new Set(candidates.map((c) => c.agent).filter((a): a is string => !!a && !a.startsWith('builtin:')))];
      const agentLimits = agents.length > 0 ? await limits.agentLimits(agents) : new Map<string, number>();
      const running = await this.leases.runningCounts([...agentLimits.keys()], tx);
      let free = Math.min(limits.capacity, limits.globalMax - running.total);
      const chosen: string[] = [];
      for (const candidate of candidates) {
        if (free <= 0) break;
        const limit = candidate.agent ? agentLimits.get(candidate.agent) : undefined;
        if (limit !== undefined) {
          const busy = running.byAgent.get(candidate.agent!) ?? 0;
          if (busy >= limit) continue;
          running.byAgent.set(candidate.agent!, busy + 1);
        }
        chosen.push(candidate.id);
        free--;
      }
      if (chosen.length === 0) return [];
      const claimed = await this.leases.claim(chosen, owner, leaseSeconds, tx);
      const pending = [...new Set(claimed.filter((s) => s.runStatus === 'pending').map((s) => s.runId))];
      const started = pending.length > 0 ? await this.runs.markStarted(pending, tx) : [];
      const events: NewEvent[] = started.map((runId) => ({ runId, type: 'run.started', data: { from: 'pending', to: 'running' } }));
      for (const step of claimed) {
        const data = { attempt: step.attempt, agent: step.agent, instance: owner, from: 'queued', to: 'running' };
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
