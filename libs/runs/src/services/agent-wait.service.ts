import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { EventLogService } from '@baton/events';
import type { ClaimedStep, StepError } from '../domain/run.types.js';
import { AgentWaitRepository } from '../repositories/agent-wait.repository.js';
import { RunLifecycleService } from './run-lifecycle.service.js';

/** `error.code` of a step that waited longer than AGENT_ALLOCATION_TIMEOUT_SECONDS for an agent. */
export const AGENT_UNAVAILABLE = 'agent_unavailable';

/**
 * Steps parked while the agents that could serve them have open circuit breakers: woken when
 * a breaker half-opens or is reset, failed when they waited too long. The claim parks them
 * (`StepLeaseService`); execution decides when to call these.
 */
@Injectable()
export class AgentWaitService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(AgentWaitRepository) private readonly waits: AgentWaitRepository,
    @Inject(RunLifecycleService) private readonly lifecycle: RunLifecycleService,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  /**
   * Puts every parked step back in the queue; returns how many. No event: the next claim
   * either starts the step (`step.started`) or parks it again (`step.waiting`).
   */
  async wakeAll(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const woken = await this.waits.wakeAll(tx);
      if (woken.length === 0) return 0;
      await this.lifecycle.signalWork(tx);
      return woken.length;
    });
  }

  /** Fails steps parked longer than `timeoutSeconds` (`agent_unavailable`), and their runs. */
  async failExpired(timeoutSeconds: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const error: StepError = {
        message: `no agent could take the step for ${timeoutSeconds} s (circuit breakers open; AGENT_ALLOCATION_TIMEOUT_SECONDS)`,
        code: AGENT_UNAVAILABLE,
        retryable: false,
      };
      const failed = await this.waits.failExpired(timeoutSeconds, error, tx);
      for (const step of failed) {
        await this.events.append(tx, [{ runId: step.runId, type: 'step.failed', stepKey: step.key, data: { error, from: 'waiting', to: 'failed' } }]);
        await this.lifecycle.finishRun(tx, step.runId, 'failed', { error: { ...error, stepKey: step.key } });
      }
      return failed.length;
    });
  }

  /**
   * A running pattern step parks before a turn whose agent has an open breaker (no agent of
   * the participant's capability is healthy): like a step parked at the claim, it holds no
   * slot, spends no attempt, is woken when a breaker half-opens and fails after
   * AGENT_ALLOCATION_TIMEOUT_SECONDS. False when the step's lease was lost meanwhile.
   */
  async parkRunning(step: ClaimedStep, agent: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await this.waits.parkRunning(step.id, step.token, tx))) return false;
      await this.events.append(tx, [{ runId: step.runId, type: 'step.waiting', stepKey: step.key, data: { reason: 'breaker_open', agent, from: 'running', to: 'waiting' } }]);
      return true;
    });
  }

  countParked(): Promise<number> {
    return this.waits.countParked();
  }
}
