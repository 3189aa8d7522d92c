import { Inject, Injectable } from '@nestjs/common';
import { BatonError } from '@baton/common';
import { OrchestrationCheckpointService, type Approval } from '@baton/approvals';
import { EventStreamService, type EventSubscription } from '@baton/events';
import type { Principal } from '@baton/identity';
import { RunControlService, RunQueryService, type Run, type RunStatus } from '@baton/runs';
import type { ListParams, ListResult } from '../protocol/dialect.js';
import { A2A_CODES, A2aRpcError } from '../rpc/a2a-rpc-error.js';
import { actorOf, assertMayControl, assertMayRead, seesAllTasks } from './task-access.js';
import { isSettledState, partOf, toTaskView, type ArtifactView, type TaskStateName, type TaskView } from './task-view.js';

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
    assertMayRead(run, principal);
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
      submittedBy: 'anonymous' in principal || seesAllTasks(principal) ? undefined : principal.tokenId,
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
      submittedBy: 'anonymous' in principal || seesAllTasks(principal) ? undefined : principal.tokenId,
      limit: 1,
    });
    return page.runs[0] ?? null;
  }

  /** Cancels the run; -32002 when it already ended. */
  async cancel(taskId: string, principal: Principal): Promise<TaskView> {
    const run = await this.run(taskId);
    assertMayControl(run, principal);
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
    assertMayControl(run, principal);
    return this.viewOf(await this.control.resume(run.id, actorOf(principal)));
  }

  /**
   * Waits until the task is terminal or input-required, at most `timeoutMs`, and returns it
   * as it is then. Woken by the run's event log (this instance's commits, NOTIFY from others,
   * the safety-net poll), so it never misses a change made elsewhere.
   */
  async settle(taskId: string, timeoutMs: number): Promise<TaskView> {
    const first = await this.view(taskId);
    if (isSettledState(first.state)) return first;
    return new Promise<TaskView>((resolve, reject) => {
      let latest = first;
      let finished = false;
      let checking: Promise<void> | null = null;
      let again = false;
      let subscription: EventSubscription | null = null;
      const finish = (error?: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        subscription?.close();
        if (error) reject(error);
        else resolve(latest);
      };
      const check = (): void => {
        if (checking) {
          again = true;
          return;
        }
        checking = this.view(taskId)
          .then((view) => {
            latest = view;
            if (isSettledState(view.state)) finish();
          })
          .catch(finish)
          .finally(() => {
            checking = null;
            if (again && !finished) {
              again = false;
              check();
            }
          });
      };
      const timer = setTimeout(() => finish(), timeoutMs);
      this.streams
        .openRun(taskId, null, {
          send: (item) => {
            if (changesTaskState(item.event.type)) check();
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
          if (!opened) check();
        })
        .catch(finish);
    });
  }
}
