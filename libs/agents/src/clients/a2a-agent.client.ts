import { Inject, Injectable, Optional } from '@nestjs/common';
import { OutboundHttp } from '@baton/common';
import { TelemetryService } from '@baton/telemetry';
import { Role, TaskState, type Message, type Part, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { AgentCallError, type Agent, type AgentClient, type InvocationContext } from '../agent.types.js';
import { CallTokenService, withCallToken } from '../call-tokens/call-token.service.js';
import { AgentCardCache } from './a2a/agent-card-cache.js';
import { toAgentCallError } from './a2a/a2a-errors.js';
import { artifactsToOutput, messageToOutput, statusText } from './a2a/a2a-output.js';
import { TaskFollower, type FollowResult } from './a2a/task-follower.js';

/** How long a best-effort cancel of the remote task may take once the step is aborted. */
const CANCEL_TIMEOUT_MS = 5_000;

/**
 * Calls an `a2a` agent with the official `@a2a-js/sdk` client. The agent's card (cached,
 * see `AgentCardCache`) decides the protocol (v1.0, or v0.3 through the SDK's compat layer)
 * and whether to stream. The step input goes as a data part, the rendered prompt (if any) as
 * a text part; the message id is `stepId:attempt[:itemIndex]`, so an agent that deduplicates
 * by message id sees a retried HTTP call as the same message. The task is followed to a
 * settled state and its artifacts become the output (mapping in `a2a-output.ts`).
 *
 * A remote FAILED, REJECTED or CANCELED task is a non-retryable step failure carrying the
 * agent's status message. INPUT_REQUIRED is an `input_required` error carrying the task and
 * the agent's question; the executor opens a checkpoint and, once a person has answered,
 * calls again with `context.reply`, which continues the same remote task. An aborted step
 * cancels the remote task, best effort. Every request (card, transport) goes through the
 * guarded outbound fetch, and the agent's headers only to its trusted origins (`agent-fetch.ts`).
 */
@Injectable()
export class A2aAgentClient implements AgentClient {
  readonly kind = 'a2a' as const;
  private readonly cards: AgentCardCache;

  constructor(
    @Inject(OutboundHttp) outbound: OutboundHttp,
    @Optional() @Inject(TelemetryService) telemetry?: TelemetryService,
    /** Absent (a bare client in tests), calls carry no call token. */
    @Optional() @Inject(CallTokenService) private readonly callTokens?: CallTokenService,
  ) {
    this.cards = new AgentCardCache(telemetry?.enabled ? tracedFetch(outbound.fetch, telemetry) : outbound.fetch);
  }

  async invoke(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown> {
    if (!agent.url) throw new AgentCallError(`agent ${agent.name} has no url`, false, 'invalid_agent');
    // Every request made for this call (card, send, poll, stream) carries the token: agentFetch reads it.
    const callToken = await this.callTokens?.issue(agent, context);
    return withCallToken(callToken, () => this.call(agent, input, context, signal));
  }

  private async call(agent: Agent, input: unknown, context: InvocationContext, signal: AbortSignal): Promise<unknown> {
    let taskId: string | undefined;
    let client: Client | undefined;
    try {
      const resolved = await this.cards.resolve(agent, signal);
      client = resolved.client;
      const request = buildRequest(input, context, resolved.protocolVersion);
      const follower = new TaskFollower(resolved.client, { signal }, (id) => (taskId = id));
      const result = resolved.streaming ? await follower.stream(request) : await follower.sendAndPoll(request);
      return settle(agent, result, context);
    } catch (error) {
      if (signal.aborted && client && taskId) await cancelRemote(client, taskId);
      throw toAgentCallError(agent, error, signal);
    }
  }
}

/**
 * Every request to the agent (card, message, polls, cancel) carries the W3C `traceparent` of
 * the agent call span active when it is made (issue 13). The card cache keeps one client per
 * agent, so the headers are read per request rather than fixed when the client is built.
 */
function tracedFetch(outbound: typeof fetch, telemetry: TelemetryService): typeof fetch {
  return (input, init) => {
    const trace = telemetry.headers();
    if (!trace.traceparent) return outbound(input, init);
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(trace)) headers.set(name, value);
    return outbound(input, { ...init, headers });
  };
}

/** The message for one step attempt: data part with the input, text part with the prompt. */
export function buildRequest(input: unknown, context: InvocationContext, protocolVersion: string): SendMessageRequest {
  // v0.3 data parts must be JSON objects; other inputs travel wrapped as `{ input }`.
  const legacy = protocolVersion.startsWith('0.');
  const data = legacy && (typeof input !== 'object' || input === null || Array.isArray(input)) ? { input: input ?? null } : (input ?? null);
  const reply = context.reply;
  const replyData = reply && legacy && (typeof reply.data !== 'object' || reply.data === null || Array.isArray(reply.data)) ? { input: reply.data ?? null } : reply?.data;
  const parts: Part[] = [part({ $case: 'data', value: reply ? (replyData ?? null) : data })];
  if (context.prompt && !reply) parts.push(part({ $case: 'text', value: context.prompt }));
  const message: Message = {
    messageId: reply?.messageId ?? messageId(context),
    contextId: reply?.contextId ?? '',
    taskId: reply?.taskId ?? '',
    role: Role.ROLE_USER,
    parts,
    metadata: { baton: { runId: context.runId, stepId: context.stepId, stepKey: context.stepKey, attempt: context.attempt } },
    extensions: [],
    referenceTaskIds: [],
  };
  return { tenant: '', message, configuration: undefined, metadata: undefined };
}

/** Same step, attempt and item => same id, so an agent can drop a duplicate delivery. */
export function messageId(context: InvocationContext): string {
  const base = `${context.stepId}:${context.attempt}`;
  return context.itemIndex === undefined ? base : `${base}:${context.itemIndex}`;
}

function part(content: Part['content']): Part {
  return { content, metadata: undefined, filename: '', mediaType: '' };
}

function settle(agent: Agent, result: FollowResult, context: InvocationContext): unknown {
  // Agents report what a call spent in the metadata (issue 9, budgets): `{ usage: { tokens, cost } }`.
  const metadata = result.kind === 'message' ? result.message.metadata : result.task.metadata;
  if (metadata && typeof metadata === 'object' && 'usage' in metadata) context.onUsage?.((metadata as { usage: unknown }).usage);
  if (result.kind === 'message') return messageToOutput(result.message);
  return taskOutput(agent, result.task);
}

function taskOutput(agent: Agent, task: Task): unknown {
  const text = statusText(task.status);
  const said = text ? `: ${text}` : '';
  switch (task.status?.state) {
    case TaskState.TASK_STATE_COMPLETED:
      // An agent that answers in its final status message rather than an artifact.
      if (task.artifacts.length === 0 && task.status.message) return messageToOutput(task.status.message);
      return artifactsToOutput(task.artifacts);
    case TaskState.TASK_STATE_FAILED:
      throw new AgentCallError(`agent ${agent.name} failed task ${task.id}${said}`, false, 'agent_failed');
    case TaskState.TASK_STATE_REJECTED:
      throw new AgentCallError(`agent ${agent.name} rejected task ${task.id}${said}`, false, 'agent_rejected');
    case TaskState.TASK_STATE_CANCELED:
      throw new AgentCallError(`agent ${agent.name} cancelled task ${task.id}${said}`, false, 'agent_cancelled');
    case TaskState.TASK_STATE_INPUT_REQUIRED:
      // The executor turns this into a checkpoint and answers through `context.reply`.
      throw new AgentCallError(`agent ${agent.name} needs input for task ${task.id}${said}`, false, 'input_required', undefined, {
        taskId: task.id,
        contextId: task.contextId,
        question: text ?? null,
      });
    case TaskState.TASK_STATE_AUTH_REQUIRED:
      throw new AgentCallError(`agent ${agent.name} needs authentication for task ${task.id}${said}`, false, 'auth_required');
    default:
      throw new AgentCallError(`agent ${agent.name} left task ${task.id} in state ${task.status?.state}`, true);
  }
}

async function cancelRemote(client: Client, taskId: string): Promise<void> {
  try {
    await client.cancelTask({ tenant: '', id: taskId, metadata: undefined }, { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
  } catch {
    // Best effort: the task may already be over, or the agent may not support cancelling.
  }
}
