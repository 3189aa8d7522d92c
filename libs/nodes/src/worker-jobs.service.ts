import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AgentCallError, WORKER_PENDING, WorkerAgentClient, type Agent, type InvocationContext, type ParkOutcome, type WorkerJobDispatcher } from '@baton/agents';
import { BatonConfig, BatonError } from '@baton/common';
import { Database, type Transaction } from '@baton/db';
import { RunQueryService, StepTransitionsService } from '@baton/runs';
import { JOBS_CHANNEL, JobRepository } from './job.repository.js';
import type { WorkerJob, WorkerNode } from './node.types.js';
import { Wakeups } from './wakeups.js';

/** How often a long-polling claim looks again when no signal came (a lost NOTIFY, an expired lease). */
const RECHECK_MS = 1000;
export const MAX_CLAIM_WAIT_SECONDS = 60;

/**
 * The job queue between the engine and worker nodes. A `worker` agent's step lands in
 * `dispatch` (through `WorkerAgentClient`): the job is queued once per step attempt and, if
 * no node has finished it yet, the engine parks the step (`parkUnlessFinished`) instead of
 * holding a slot. A node's `complete`/`fail`, under its lease token, wakes the step in the
 * same transaction; the woken step calls `dispatch` again and finds the outcome.
 */
@Injectable()
export class WorkerJobsService implements WorkerJobDispatcher, OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WorkerJobs');
  /** Wakes long-polling claims when a job is queued (here, or on another instance through NOTIFY). */
  private readonly queued = new Wakeups<'any'>();
  /** Ends open long-polls at shutdown, so closing the server does not wait for them. */
  private readonly stopping = new AbortController();
  private unlisten?: () => Promise<void>;

  constructor(
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(Database) private readonly db: Database,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(WorkerAgentClient) private readonly client: WorkerAgentClient,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
  ) {}

  onModuleInit(): void {
    this.client.bind(this);
  }

  async onApplicationBootstrap(): Promise<void> {
    // PGlite is one process: the in-process wake-up is all there is.
    if (this.db.kind === 'postgres') this.unlisten = await this.db.listen(JOBS_CHANNEL, () => this.queued.wake('any'));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    await this.unlisten?.().catch(() => undefined);
  }

  /**
   * Queues the job of one step attempt (a woken or re-claimed step finds its job) and returns
   * the output if a node already completed it. A node's failure is an AgentCallError
   * (retryable unless the node said otherwise); a job still with the nodes is a
   * `WORKER_PENDING` error naming it, on which the engine parks the step.
   */
  async dispatch(agent: Agent, input: unknown, context: InvocationContext, _signal: AbortSignal): Promise<unknown> {
    const { job, created } = await this.jobs.enqueue({
      key: `${context.stepId}:${context.attempt}:${context.itemIndex ?? '-'}`,
      stepId: context.stepId,
      agentName: agent.name,
      input,
      context: {
        runId: context.runId,
        stepKey: context.stepKey,
        attempt: context.attempt,
        ...(context.itemIndex !== undefined ? { itemIndex: context.itemIndex } : {}),
      },
      timeoutMs: context.timeoutMs ?? this.config.defaultStepTimeoutSeconds * 1000,
      selector: context.node ?? { labels: {}, resources: {} },
    });
    if (created) {
      this.queued.wake('any');
      if (this.db.kind === 'postgres') await this.jobs.notifyQueued().catch((e) => this.logger.warn(`could not notify other instances: ${e}`));
    }
    return outcomeOf(job);
  }

  async parkUnlessFinished(jobIds: string[], park: (tx: Transaction) => Promise<boolean>): Promise<ParkOutcome> {
    return this.db.transaction(async (tx) => {
      // Any job still open will wake the step when it finishes; none open: read them now.
      if ((await this.jobs.holdOpen(jobIds, tx)) === 0) return 'finished';
      return (await park(tx)) ? 'parked' : 'lost';
    });
  }

  /**
   * A job for `node` under a fresh lease, waiting up to `waitSeconds` for one to be queued.
   * Null when none came (the node asks again) or the node is draining. A job whose step has
   * ended or moved to another attempt is cancelled on the way.
   */
  async claim(node: WorkerNode, waitSeconds: number, closed: AbortSignal): Promise<WorkerJob | null> {
    if (node.status !== 'active') return null;
    const signal = AbortSignal.any([closed, this.stopping.signal]);
    const deadline = Date.now() + Math.min(waitSeconds, MAX_CLAIM_WAIT_SECONDS) * 1000;
    const self = { id: node.id, agents: node.capabilities, labels: node.labels, resources: node.resources, maxJobs: node.maxJobs };
    for (;;) {
      const job = await this.jobs.claim(self, this.config.nodeLeaseSeconds);
      if (job && !(await this.isLive(job))) {
        await this.jobs.cancel(job.id);
        continue;
      }
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

  /**
   * The safety net run by `NodeSweeper` on every instance: jobs past their step's timeout
   * fail, waking their steps. (A job whose lease ran out needs no sweep: `claim` takes it,
   * and until another node does, its late holder may still complete it.)
   */
  async sweep(): Promise<{ expired: number }> {
    const expired = await this.db.transaction(async (tx) => {
      const jobs = await this.jobs.expire(100, tx);
      for (const job of jobs) if (job.stepId) await this.transitions.wakeForWorker(tx, job.stepId);
      return jobs.length;
    });
    return { expired };
  }

  private async isLive(job: WorkerJob): Promise<boolean> {
    const attempt = Number(job.context.attempt);
    return !job.stepId || !Number.isInteger(attempt) || this.runs.isOpenAttempt(job.stepId, attempt);
  }

  /** The job's outcome and the wake-up of its parked step commit together: a node's result is never lost between them. */
  private async finish(node: WorkerNode, jobId: string, leaseToken: string, status: 'completed' | 'failed', output: unknown, error: unknown): Promise<void> {
    const done = await this.db.transaction(async (tx) => {
      const finished = await this.jobs.finish(jobId, leaseToken, status, output, error, tx);
      if (finished?.stepId) await this.transitions.wakeForWorker(tx, finished.stepId);
      return finished;
    });
    if (done) return;
    const job = await this.jobs.find(jobId);
    if (!job) throw BatonError.notFound('job', jobId);
    if (job.leaseToken !== leaseToken || job.nodeId !== node.id) {
      throw new BatonError('conflict', `job ${jobId}: this lease is no longer held (the job was leased again or cancelled)`);
    }
    throw new BatonError('conflict', `job ${jobId} is already ${job.status}`);
  }
}

/** A finished job's outcome; an open one is the `WORKER_PENDING` signal to park the step. */
function outcomeOf(job: WorkerJob): unknown {
  if (job.status === 'completed') return job.output;
  if (job.status === 'queued' || job.status === 'leased') {
    throw new AgentCallError(`waiting for a worker node to run job ${job.id}`, false, WORKER_PENDING, undefined, { jobIds: [job.id] });
  }
  if (job.status === 'cancelled') throw new AgentCallError(`worker job ${job.id} was cancelled`, true, 'cancelled');
  const error = job.error ?? { message: 'the node reported a failure', retryable: true };
  throw new AgentCallError(`worker node failed job ${job.id}: ${error.message}`, error.retryable !== false, error.code ?? 'worker_failed');
}
