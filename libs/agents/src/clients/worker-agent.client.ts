import { Injectable } from '@nestjs/common';
import type { Transaction } from '@baton/db';
import { AgentCallError, type Agent, type AgentClient, type InvocationContext } from '../agent.types.js';

/**
 * The code of the AgentCallError a worker call throws while its job is still with the
 * nodes: not a failure, but "park the step until the job is finished" (docs/nodes.md).
 */
export const WORKER_PENDING = 'worker_pending';

/** What parking a step on its jobs came to: parked, or a job finished meanwhile (run the step again now), or the step's lease is gone. */
export type ParkOutcome = 'parked' | 'finished' | 'lost';

/**
 * What serves `worker` agents: a queue that worker nodes pull from (libs/nodes binds it).
 * `dispatch` enqueues the step's job, idempotently per step attempt, and returns the output
 * when a node already finished it; otherwise it throws a `WORKER_PENDING` error naming the
 * job, and the engine parks the step with `parkUnlessFinished`. A job's completion wakes
 * the parked step, which calls `dispatch` again and finds the outcome.
 */
export interface WorkerJobDispatcher {
  dispatch(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown>;
  /**
   * Runs `park` (the step's move to waiting) in one transaction with a check that every job
   * in `jobIds` is still open, holding them so no node can finish one in between: a job
   * finished before the park gives `finished`, one finished after it wakes the parked step.
   */
  parkUnlessFinished(jobIds: string[], park: (tx: Transaction) => Promise<boolean>): Promise<ParkOutcome>;
}

/** The job ids of a `WORKER_PENDING` error, or null for any other error. */
export function pendingWorkerJobs(error: unknown): string[] | null {
  if (!(error instanceof AgentCallError) || error.code !== WORKER_PENDING) return null;
  const ids = error.details?.jobIds;
  return Array.isArray(ids) ? (ids as string[]) : null;
}

/**
 * The client for `kind: worker` agents. The nodes library stands above this one, so it
 * binds itself here at start-up (`bind`) instead of being imported; with no nodes library
 * wired, a worker agent's step fails with a clear, non-retryable error.
 */
@Injectable()
export class WorkerAgentClient implements AgentClient {
  readonly kind = 'worker' as const;
  private dispatcher: WorkerJobDispatcher | undefined;

  bind(dispatcher: WorkerJobDispatcher): void {
    this.dispatcher = dispatcher;
  }

  async invoke(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown> {
    return this.bound(agent.name).dispatch(agent, input, context, signal);
  }

  /** See `WorkerJobDispatcher.parkUnlessFinished`. */
  parkUnlessFinished(jobIds: string[], park: (tx: Transaction) => Promise<boolean>): Promise<ParkOutcome> {
    return this.bound('worker').parkUnlessFinished(jobIds, park);
  }

  private bound(name: string): WorkerJobDispatcher {
    if (!this.dispatcher) throw new AgentCallError(`agent ${name} is a worker agent, but worker nodes are not enabled`, false, 'unsupported');
    return this.dispatcher;
  }
}
