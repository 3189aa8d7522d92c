import { Inject, Injectable } from '@nestjs/common';
import { EventStreamService } from '@baton/events';
import { A2aTaskService, changesTaskState } from '../tasks/a2a-task.service.js';
import { isSettledState, isTerminalState, statusKey, type TaskEvent, type TaskView } from '../tasks/task-view.js';

/**
 * A task as a stream of A2A events: the task first, then a status update for every change
 * of state (or status message), an artifact update as each sink step completes (its whole
 * output, `append: false`, `lastChunk: true`; any not yet sent before the final status of a
 * completed task), and the end once the task is terminal or input-required.
 *
 * Changes are found by reading the run's event log from the start (`EventStreamService`,
 * woken by this instance's commits, NOTIFY from other instances and the poll) and
 * re-reading the task after each run or approval event. A stream opened at any moment —
 * a resubscribe after a dropped connection included — therefore reports the current task
 * and then every later change; a change can never fall between snapshot and subscription.
 */
@Injectable()
export class A2aTaskStreamService {
  constructor(
    @Inject(A2aTaskService) private readonly tasks: A2aTaskService,
    @Inject(EventStreamService) private readonly streams: EventStreamService,
  ) {}

  /**
   * `untilTerminal` (SubscribeToTask, tasks/resubscribe): keep following through
   * INPUT_REQUIRED until the task is terminal; otherwise (a streamed send) end where a
   * blocking send would answer.
   */
  async *follow(taskId: string, signal: AbortSignal, first?: TaskView, untilTerminal = false): AsyncGenerator<TaskEvent> {
    const ends = untilTerminal ? isTerminalState : isSettledState;
    let current = first ?? (await this.tasks.view(taskId));
    yield { kind: 'task', task: current };
    if (ends(current.state)) return;
    const bell = new Bell();
    const onAbort = () => bell.close();
    signal.addEventListener('abort', onAbort);
    // Artifacts already streamed (a sink step's output, sent when the step completed).
    const streamed = new Set<string>();
    let stepsDone = false;
    const subscription = await this.streams.openRun(taskId, null, {
      send: (item) => {
        if (item.event.type === 'step.completed') stepsDone = true;
        if (changesTaskState(item.event.type) || item.event.type === 'step.completed') bell.ring();
      },
      end: () => bell.close(),
    });
    if (!subscription) bell.close();
    bell.ring();
    try {
      while (!signal.aborted) {
        const open = await bell.wait();
        if (stepsDone) {
          stepsDone = false;
          const view = await this.tasks.view(taskId);
          for (const artifact of await this.tasks.completedSinkArtifacts(taskId)) {
            if (streamed.has(artifact.artifactId)) continue;
            streamed.add(artifact.artifactId);
            yield { kind: 'artifact', task: view, artifact };
          }
        }
        const next = await this.tasks.view(taskId);
        if (statusKey(next) !== statusKey(current)) {
          if (next.state === 'completed') {
            for (const artifact of next.artifacts) if (!streamed.has(artifact.artifactId)) yield { kind: 'artifact', task: next, artifact };
          }
          yield { kind: 'status', task: next, final: ends(next.state) };
        }
        current = next;
        if (ends(next.state) || !open) return;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      subscription?.close();
    }
  }
}

/** Coalesces wake-ups: any number of rings while busy make one more read. */
class Bell {
  private rung = false;
  private closed = false;
  private waiter: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.waiter?.();
  }

  close(): void {
    this.closed = true;
    this.waiter?.();
  }

  /** Resolves after a ring or close; false once closed. */
  async wait(): Promise<boolean> {
    if (!this.rung && !this.closed) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = undefined;
    this.rung = false;
    return !this.closed;
  }
}
