import { Inject, Injectable } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { OrchestrationCheckpointService, type Approval } from '@baton/approvals';
import { EventStreamService, type EventSubscription } from '@baton/events';
import { WorkLoop } from '@baton/work';
import { principalTokenId, type Principal } from '@baton/identity';
import { RunControlService, RunQueryService, type Run, type RunStatus } from '@baton/runs';
import type { ListParams, ListResult } from '../protocol/dialect.js';
import { A2A_CODES, A2aRpcError } from '../rpc/a2a-rpc-error.js';
import { TaskAccess, actorOf, boundOwnerOfPrincipal } from './task-access.js';
import { isSettledState, partOf, toTaskView, type ArtifactView, type TaskStateName, type TaskView } from './task-view.js';

/** Matches no run's submitter (people submit no A2A tasks of their own). */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Log events after which a task's state may have changed. */
export function changesTaskState(type: string): boolean {
  return type.startsWith('run.') || type.startsWith('approval.');
}

const RUN_STATUS_FOR: Partial<Record<TaskStateName, RunStatus>> = {
  submitted: 'pending',
  working: 'running',
  'input-required': 'waiting',
  completed: 'completed',
  failed: 'failed',
  canceled: 'cancelled',
};

/** Tasks are runs: reads, waits and cancellation, in A2A terms. */
@Injectable()
export class A2aTaskService {
  constructor(
    @Inject(RunQueryService) private readonly runs: RunQueryService,
    @Inject(RunControlService) private readonly control: RunControlService,
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
    @Inject(EventStreamService) private readonly streams: EventStreamService,
    /** Who may touch which task (Cedar); public so the send and push-config services ask the same. */
    @Inject(TaskAccess) readonly access: TaskAccess,
  ) {}

  /** The run behind a task id; -32001 when there is none. */
  async run(taskId: string): Promise<Run> {
    if (!UUID.test(taskId)) throw A2aRpcError.taskNotFound(taskId);
    try {
      return await this.runs.getRun(taskId);
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'not_found') throw A2aRpcError.taskNotFound(taskId);
      throw error;
    }
  }

  async view(taskId: string): Promise<TaskView> {
    return this.viewOf(await this.run(taskId));
  }

  /** The run behind a task the caller may read; another agent's task is -32001 to it. */
  async readableRun(taskId: string, principal: Principal): Promise<Run> {
    const run = await this.run(taskId);
    this.access.assertMayRead(run, principal);
    return run;
  }

  /** The task as `principal` may see it (see `task-access.ts`). */
  async viewFor(taskId: string, principal: Principal): Promise<TaskView> {
    return this.viewOf(await this.readableRun(taskId, principal));
  }

  async viewOf(run: Run): Promise<TaskView> {
    return toTaskView(run, run.status === 'waiting' ? await this.pendingApproval(run.id) : null);
  }

  /** An artifact per completed sink step (a step nothing depends on): the output so far. */
  async completedSinkArtifacts(runId: string): Promise<ArtifactView[]> {
    const run = await this.runs.get(runId);
    const needed = new Set(run.steps.flatMap((step) => step.dependsOn));
    return run.steps
      .filter((step) => step.status === 'completed' && !needed.has(step.key))
      .map((step) => ({ artifactId: step.key, name: step.key, parts: [partOf(step.output)] }));
  }

  async pendingApproval(runId: string): Promise<Approval | null> {
    const [approval] = await this.checkpoints.list({ status: 'pending', runId, limit: 1 });
    return approval ?? null;
  }

  /** One page of tasks, newest first; an agent's only its own; `contextId`: one conversation. */
  async list(params: ListParams, principal: Principal): Promise<ListResult> {
    const page = await this.runs.list({
      status: params.state && RUN_STATUS_FOR[params.state],
      // An agent lists only the tasks it submitted.
      // People hold no submitted tasks: the nil id matches none.
      submittedBy: 'anonymous' in principal || this.access.seesAll(principal) ? undefined : (principalTokenId(principal) ?? NIL_UUID),
      owner: boundOwnerOfPrincipal(principal),
      contextId: params.contextId,
      limit: params.pageSize,
      cursor: params.pageToken,
    });
    let tasks = await Promise.all(page.runs.map((run) => this.viewOf(run)));
    if (params.contextId) tasks = tasks.filter((task) => task.contextId === params.contextId);
    if (params.state) tasks = tasks.filter((task) => task.state === params.state);
    if (!params.includeArtifacts) tasks = tasks.map((task) => ({ ...task, artifacts: [] }));
    return { tasks, nextPageToken: page.nextCursor ?? '', pageSize: params.pageSize };
  }

  /** The latest run of a conversation that `principal` may see, if any. */
  async latestInContext(contextId: string, principal: Principal): Promise<Run | null> {
    const page = await this.runs.list({
      contextId,
      // People hold no submitted tasks: the nil id matches none.
      submittedBy: 'anonymous' in principal || this.access.seesAll(principal) ? undefined : (principalTokenId(principal) ?? NIL_UUID),
      owner: boundOwnerOfPrincipal(principal),
      limit: 1,
    });
    return page.runs[0] ?? null;
  }

  /** Cancels the run; -32002 when it already ended. */
  async cancel(taskId: string, principal: Principal): Promise<TaskView> {
    const run = await this.run(taskId);
    this.access.assertMayControl(run, principal);
    try {
      return await this.viewOf(await this.control.cancel(run.id, actorOf(principal), 'cancelled over A2A'));
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'invalid_state') {
        throw new A2aRpcError(error.message, A2A_CODES.taskNotCancelable, { taskId });
      }
      throw error;
    }
  }

  /** Resumes a paused run (`baton/resume`). */
  async resume(taskId: string, principal: Principal): Promise<TaskView> {
    const run = await this.run(taskId);
    this.access.assertMayControl(run, principal);
    return this.viewOf(await this.control.resume(run.id, actorOf(principal)));
  }

  /**
   * Waits until the task is terminal or input-required, at most `timeoutMs`, and returns it
   * as it is then. Woken by the run's event log (this instance's commits, NOTIFY from others,
   * the safety-net poll), so it never misses a change made elsewhere. The re-reads are the
   * rounds of a `WorkLoop` (libs/work): never two at once, a burst of events is one more.
   */
  async settle(taskId: string, timeoutMs: number): Promise<TaskView> {
    const first = await this.view(taskId);
    if (isSettledState(first.state)) return first;
    return new Promise<TaskView>((resolve, reject) => {
      let latest = first;
      let finished = false;
      let subscription: EventSubscription | null = null;
      const finish = (error?: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        subscription?.close();
        void checks.stop();
        if (error) reject(error);
        else resolve(latest);
      };
      const checks = new WorkLoop({
        name: 'a2a-settle',
        pollMs: 0,
        round: async () => {
          latest = await this.view(taskId);
          if (isSettledState(latest.state)) finish();
          return false;
        },
        onError: finish,
      });
      const timer = setTimeout(() => finish(), timeoutMs);
      // Its first round reads once more: a change between `first` and the stream's start is not missed.
      checks.start();
      this.streams
        .openRun(taskId, null, {
          send: (item) => {
            if (changesTaskState(item.event.type)) checks.wake();
          },
          // The run finished (or the stream was closed at shutdown): answer with what is there.
          end: () => {
            this.view(taskId)
              .then((view) => {
                latest = view;
                finish();
              })
              .catch(finish);
          },
        })
        .then((opened) => {
          subscription = opened;
          if (finished) opened?.close();
          // No stream (the run is gone from the log): one read decides.
          if (!opened) checks.wake();
        })
        .catch(finish);
    });
  }
}
