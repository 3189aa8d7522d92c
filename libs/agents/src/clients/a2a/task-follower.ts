import { TaskState, type Message, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import type { Client, RequestOptions } from '@a2a-js/sdk/client';
import { sleep } from '../abort.js';
import { applyArtifactUpdate } from './a2a-output.js';

/** Poll delays: quick at first (most tasks finish fast), then backing off to a ceiling. */
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 3_000;

/** Where a followed call ended: a direct reply, or a task in a terminal or interrupted state. */
export type FollowResult = { kind: 'message'; message: Message } | { kind: 'task'; task: Task };

/** States after which the agent does nothing more without us: terminal or waiting on the caller. */
const SETTLED = new Set<TaskState>([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
  TaskState.TASK_STATE_INPUT_REQUIRED,
  TaskState.TASK_STATE_AUTH_REQUIRED,
]);

export function isSettled(task: Task): boolean {
  return task.status !== undefined && SETTLED.has(task.status.state);
}

/**
 * Sends one message and follows the task it starts to a settled state. `onTask` learns the
 * task id as soon as the agent names it, so the caller can cancel it if the step is aborted.
 */
export class TaskFollower {
  constructor(
    private readonly client: Client,
    private readonly options: RequestOptions & { signal: AbortSignal },
    private readonly onTask: (taskId: string) => void,
  ) {}

  /** Non-streaming: send (returns at once), then poll `GetTask` with backoff. */
  async sendAndPoll(request: SendMessageRequest): Promise<FollowResult> {
    const result = await this.client.sendMessage(request, this.options);
    if (!isTask(result)) return { kind: 'message', message: result };
    this.onTask(result.id);
    return this.poll(result);
  }

  /**
   * Streaming: fold the events into a task snapshot until it settles. A stream that ends
   * before that (a dropped connection, a proxy timeout) is finished by polling.
   */
  async stream(request: SendMessageRequest): Promise<FollowResult> {
    let task: Task | undefined;
    for await (const event of this.client.sendMessageStream(request, this.options)) {
      const payload = event.payload;
      if (!payload) continue;
      if (payload.$case === 'message' && !task) return { kind: 'message', message: payload.value };
      if (payload.$case === 'task') {
        task = { ...payload.value, artifacts: [...payload.value.artifacts] };
        this.onTask(task.id);
      } else if (task && payload.$case === 'statusUpdate') {
        task.status = payload.value.status;
      } else if (task && payload.$case === 'artifactUpdate' && payload.value.artifact) {
        applyArtifactUpdate(task.artifacts, payload.value.artifact, payload.value.append);
      }
      if (task && isSettled(task)) return { kind: 'task', task: await this.withArtifacts(task) };
    }
    if (!task) throw new Error('the agent closed the stream without a task or a message');
    return this.poll(task);
  }

  private async poll(first: Task): Promise<FollowResult> {
    let task = first;
    let delay = FIRST_POLL_MS;
    while (!isSettled(task)) {
      await sleep(delay, this.options.signal);
      delay = Math.min(delay * 2, MAX_POLL_MS);
      task = await this.client.getTask({ tenant: '', id: task.id }, this.options);
    }
    return { kind: 'task', task };
  }

  /** A streamed task that settled without artifacts may still have them in the agent's store. */
  private async withArtifacts(task: Task): Promise<Task> {
    if (task.artifacts.length > 0 || task.status?.state !== TaskState.TASK_STATE_COMPLETED) return task;
    try {
      return await this.client.getTask({ tenant: '', id: task.id }, this.options);
    } catch {
      return task;
    }
  }
}

function isTask(result: Message | Task): result is Task {
  return 'status' in result && 'id' in result;
}
