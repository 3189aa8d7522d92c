import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AgentCallError, WorkerAgentClient, type Agent, type InvocationContext, type WorkerJobDispatcher } from '@baton/agents';
import { BatonConfig, BatonError } from '@baton/common';
import { JobRepository } from './job.repository.js';
import type { WorkerJob, WorkerNode } from './node.types.js';
import { Wakeups } from './wakeups.js';

/** How often a waiting side looks again when no in-process signal came (another instance's work). */
const RECHECK_MS = 1000;
export const MAX_CLAIM_WAIT_SECONDS = 60;
/**
 * Abort reasons (libs/execution's `StopReason`, compared by value: that library stands above
 * this one) for which the step goes back to the queue with the same attempt: whoever
 * re-claims it must find the job as it is (perhaps leased, perhaps done), so it is kept.
 * Any other abort (the run stopped, the step timed out) cancels the job.
 */
const HANDED_BACK = new Set<unknown>(['shutdown', 'lease_lost']);

/**
 * The job queue between the engine and worker nodes. The engine's step executor calls a
 * `worker` agent through `WorkerAgentClient`, which lands in `dispatch`: the job is queued
 * (once per step attempt) and the call waits for a node to finish it. Nodes long-poll
 * `claim`, and `complete`/`fail` under the lease token they were given.
 */
@Injectable()
export class WorkerJobsService implements WorkerJobDispatcher, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('WorkerJobs');
  /** Wakes long-polling claims when a job is queued here. */
  private readonly queued = new Wakeups<'any'>();
  /** Wakes a waiting dispatch when its job is finished here. */
  private readonly finished = new Wakeups<string>();
  /** Ends open long-polls at shutdown, so closing the server does not wait for them. */
  private readonly stopping = new AbortController();

  constructor(
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(WorkerAgentClient) private readonly client: WorkerAgentClient,
  ) {}

  onModuleInit(): void {
    this.client.bind(this);
  }

  onModuleDestroy(): void {
    this.stopping.abort();
  }

  /**
   * Queues the job of one step attempt (the same attempt re-claimed after a crash finds its
   * job) and resolves with the output a node completed it with. A node's failure is an
   * AgentCallError (retryable unless the node said otherwise); the caller's abort cancels the
   * job, unless the step is only being handed back (see HANDED_BACK).
   */
  async dispatch(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown> {
    const key = `${context.stepId}:${context.attempt}:${context.itemIndex ?? '-'}`;
    const job = await this.jobs.enqueue(key, agent.name, input, {
      runId: context.runId,
      stepKey: context.stepKey,
      attempt: context.attempt,
      ...(context.itemIndex !== undefined ? { itemIndex: context.itemIndex } : {}),
    });
    this.queued.wake('any');
    try {
      return outcomeOf(await this.untilFinished(job, signal));
    } catch (error) {
      if (signal.aborted && !HANDED_BACK.has(signal.reason)) await this.jobs.cancel(job.id).catch((e) => this.logger.warn(`could not cancel job ${job.id}: ${e}`));
      throw error;
    }
  }

  /**
   * A job for `node` under a fresh lease, waiting up to `waitSeconds` for one to be queued.
   * Null when none came (the node asks again) or the node is draining.
   */
  async claim(node: WorkerNode, waitSeconds: number, closed: AbortSignal): Promise<WorkerJob | null> {
    if (node.status !== 'active') return null;
    const signal = AbortSignal.any([closed, this.stopping.signal]);
    const deadline = Date.now() + Math.min(waitSeconds, MAX_CLAIM_WAIT_SECONDS) * 1000;
    for (;;) {
      const job = await this.jobs.claim(node.id, node.capabilities, node.maxJobs, this.config.nodeLeaseSeconds);
      if (job || signal.aborted || Date.now() >= deadline) return job;
      await this.queued.next('any', Math.min(RECHECK_MS, deadline - Date.now()), signal);
    }
  }

  /** Extends the node's leases (its heartbeat). */
  renew(node: WorkerNode): Promise<number> {
    return this.jobs.renew(node.id, this.config.nodeLeaseSeconds);
  }

  /** Completes the job held under `leaseToken`; a stale lease or a second completion is a 409. */
  async complete(node: WorkerNode, jobId: string, leaseToken: string, output: unknown): Promise<void> {
    await this.finish(node, jobId, leaseToken, 'completed', output, null);
  }

  async fail(node: WorkerNode, jobId: string, leaseToken: string, error: { message: string; retryable: boolean }): Promise<void> {
    await this.finish(node, jobId, leaseToken, 'failed', null, error);
  }

  private async finish(node: WorkerNode, jobId: string, leaseToken: string, status: 'completed' | 'failed', output: unknown, error: unknown): Promise<void> {
    if (await this.jobs.finish(jobId, leaseToken, status, output, error)) {
      this.finished.wake(jobId);
      return;
    }
    const job = await this.jobs.find(jobId);
    if (!job) throw BatonError.notFound('job', jobId);
    if (job.leaseToken !== leaseToken || job.nodeId !== node.id) {
      throw new BatonError('conflict', `job ${jobId}: this lease is no longer held (the job was leased again or cancelled)`);
    }
    throw new BatonError('conflict', `job ${jobId} is already ${job.status}`);
  }

  private async untilFinished(job: WorkerJob, signal: AbortSignal): Promise<WorkerJob> {
    for (;;) {
      const current = await this.jobs.find(job.id);
      if (!current) throw new AgentCallError(`worker job ${job.id} vanished`, true);
      if (current.status === 'completed' || current.status === 'failed') return current;
      if (current.status === 'cancelled') throw new AgentCallError(`worker job ${job.id} was cancelled`, false, 'cancelled');
      if (signal.aborted) throw signal.reason;
      await this.finished.next(job.id, RECHECK_MS, signal);
    }
  }
}

function outcomeOf(job: WorkerJob): unknown {
  if (job.status === 'completed') return job.output;
  const error = job.error ?? { message: 'the node reported a failure', retryable: true };
  throw new AgentCallError(`worker node failed job ${job.id}: ${error.message}`, error.retryable !== false, 'worker_failed');
}
