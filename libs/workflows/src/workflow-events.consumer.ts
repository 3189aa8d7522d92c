import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatonError, LruCache } from '@baton/common';
import type { Transaction } from '@baton/db';
import { EventConsumers, EventLogService, type ConsumerHandle, type NewEvent, type RunEvent, type WorkflowSnapshot } from '@baton/events';
import { RunQueryService, type RunWithSteps } from '@baton/runs';
import { checkpointIdOf } from './domain/checkpoint-id.js';
import { TaskAssignmentRepository } from './task-assignment.repository.js';
import { WorkflowRepository } from './workflow.repository.js';

/** The durable consumer that turns run events of workflow executions into the seed's events. */
export const WORKFLOW_EVENTS_CONSUMER = 'workflows.seed-events';

const TYPES = new Set(['step.started', 'workflow.execution_started', 'run.paused']);
const DONE = new Set(['completed', 'skipped']);
/** How many runs linked to a workflow this process remembers, for waking its consumer. */
const KNOWN_EXECUTIONS = 10_000;

/**
 * Appends `agent.task_assigned` (a step of a workflow execution started an attempt on its
 * agent) and `workflow.checkpoint_created` (the execution was paused, by any door) to the log,
 * so webhooks, SSE and the workflow socket see them beside Baton's own events. A durable
 * consumer rather than a listener: its cursor moves in the transaction that appends them, so
 * neither a crash nor another instance's step can make one go missing or go out twice.
 */
@Injectable()
export class WorkflowEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private handle: ConsumerHandle | undefined;
  /** Runs seen linked to a workflow here: their step starts wake the consumer (issue 17). */
  private readonly executions = new LruCache<string, true>(KNOWN_EXECUTIONS);

  constructor(
    @Inject(EventConsumers) private readonly consumers: EventConsumers,
    @Inject(EventLogService) private readonly log: EventLogService,
    @Inject(WorkflowRepository) private readonly workflows: WorkflowRepository,
    @Inject(TaskAssignmentRepository) private readonly assignments: TaskAssignmentRepository,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
  ) {}

  onApplicationBootstrap(): void {
    this.handle = this.consumers.start({
      name: WORKFLOW_EVENTS_CONSUMER,
      types: TYPES,
      handle: (events, tx) => this.react(events, tx),
      wakesFor: (event) => this.wakesFor(event),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.handle?.stop();
  }

  /**
   * A step start wakes a round only when its run is known here to be a workflow execution:
   * every other run's steps would otherwise cost a round of about seven statements each. A
   * run linked on another instance is found by the poll (at most 1 s later); its
   * `workflow.execution_started`, or a round that meets its steps, teaches this process.
   */
  private wakesFor(event: { type: string; runId?: string }): boolean {
    if (event.type !== 'step.started') {
      if (event.type === 'workflow.execution_started' && event.runId) this.executions.set(event.runId, true);
      return true;
    }
    return event.runId !== undefined && this.executions.get(event.runId) === true;
  }

  /** One round now (tests). */
  drainOnce() {
    return this.handle?.drainOnce();
  }

  private async react(events: RunEvent[], tx: Transaction): Promise<void> {
    const owners = await this.workflows.workflowsOfRuns([...new Set(events.map((e) => e.runId))], tx);
    const out: NewEvent[] = [];
    for (const event of events) {
      const workflowId = owners.get(event.runId);
      if (!workflowId) continue; // not a workflow execution (or linked later: see execution_started)
      this.executions.set(event.runId, true);
      if (event.type === 'step.started') await this.assign(event, workflowId, tx, out);
      else if (event.type === 'workflow.execution_started') {
        // Steps that started before the run was linked to its workflow were passed over above.
        const earlier = await this.log.listAfter(event.runId, 0, 10_000);
        for (const started of earlier) if (started.type === 'step.started' && started.seq < event.seq) await this.assign(started, workflowId, tx, out);
      } else if (event.type === 'run.paused') {
        const run = await this.runs.get(event.runId).catch((error: unknown) => {
          // A run gone since (never, short of manual deletion) must not stall the consumer;
          // anything else (the database) is retried with the batch.
          if (error instanceof BatonError && error.kind === 'not_found') return undefined;
          throw error;
        });
        if (run) out.push(checkpointOf(run, workflowId, event.seq));
      }
    }
    await this.log.append(tx, out);
  }

  private async assign(event: RunEvent, workflowId: string, tx: Transaction, out: NewEvent[]): Promise<void> {
    const data = event.data as { attempt?: number; agent?: string | null; servedBy?: string | null };
    const attempt = data.attempt ?? 1;
    if (!event.stepKey || !(await this.assignments.record(event.runId, event.stepKey, attempt, tx))) return;
    out.push({
      runId: event.runId,
      type: 'agent.task_assigned',
      stepKey: event.stepKey,
      data: { workflowId, executionId: event.runId, agent: data.agent ?? null, servedBy: data.servedBy ?? data.agent ?? null, attempt },
    });
  }
}

/**
 * The checkpoint of a paused execution: its steps, what is kept and what resuming runs. Its id
 * comes from the `run.paused` event's seq, as the pause answer's `checkpoint_id` does.
 */
export function checkpointOf(run: RunWithSteps, workflowId: string, pausedSeq: number): NewEvent {
  const snapshot: WorkflowSnapshot = {
    runStatus: run.status,
    steps: run.steps.map((s) => ({ key: s.key, status: s.status, attempt: s.attempt })),
    completed: run.steps.filter((s) => DONE.has(s.status)).map((s) => s.key),
    remaining: run.steps.filter((s) => !DONE.has(s.status)).map((s) => s.key),
  };
  return {
    runId: run.id,
    type: 'workflow.checkpoint_created',
    data: {
      workflowId,
      executionId: run.id,
      checkpointId: checkpointIdOf(run.id, pausedSeq),
      reason: 'paused',
      snapshot,
      recovery: {
        method: 'POST',
        url: `/api/v1/runs/${run.id}/resume`,
        instructions: `resume the run: the ${snapshot.completed.length} completed steps keep their outputs and are not called again; steps running at the pause finish, and the ${snapshot.remaining.length} others run from where they stopped`,
      },
    },
  };
}
