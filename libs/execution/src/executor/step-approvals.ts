import { Inject, Injectable } from '@nestjs/common';
import { AgentCallError } from '@baton/agents';
import { OrchestrationCheckpointService, type Approval } from '@baton/approvals';
import type { ClaimedStep, StepError } from '@baton/runs';

/** A remote agent's question (A2A INPUT_REQUIRED): the task to continue once answered. */
export interface AgentQuestion {
  taskId: string;
  contextId: string;
  question: string | null;
}

/** An answer for a remote agent that asked for input: continues its task. */
export interface AgentReply {
  taskId: string;
  contextId: string;
  data: unknown;
  messageId: string;
}

/**
 * A person in the loop of any step, not only `type: checkpoint`: a failure escalated through
 * `notify_human`, a remote agent's question, and reading those decisions back when the woken
 * step is claimed again. The approval rows live in `@baton/approvals`.
 */
@Injectable()
export class StepApprovals {
  constructor(@Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService) {}

  /**
   * A step that failed for good under `notify_human`: ask a person instead of failing.
   * Approve re-runs the step as a new attempt; reject fails it. Returns false when the
   * person already rejected this attempt (the caller then fails the step).
   */
  async escalate(step: ClaimedStep, error: StepError, input: unknown): Promise<boolean> {
    const approval = await this.checkpoints.ensure(step, {
      kind: 'failure',
      prompt: `Step ${step.key} failed after ${step.attempt} attempt(s): ${error.message}. Approve to retry it, reject to fail it.`,
      payload: { error, input: input ?? null },
      schema: null,
      allowEdit: false,
      onTimeout: 'fail',
      timeoutSeconds: null,
    });
    return approval.status === 'pending';
  }

  /**
   * A remote agent asked a question (A2A INPUT_REQUIRED): open a checkpoint for it, one round
   * per question within the attempt. The person answers with a payload (any JSON) or rejects.
   */
  async askForAgentInput(step: ClaimedStep, agent: string, details: AgentQuestion): Promise<void> {
    const latest = await this.checkpoints.forStep(step.id, step.attempt, 'agent_input');
    const round = !latest ? 0 : latest.status === 'pending' ? latest.round : latest.round + 1;
    await this.checkpoints.ensure(step, {
      kind: 'agent_input',
      round,
      prompt: details.question ?? `Agent ${agent} needs input to go on with step ${step.key}`,
      payload: { agent, question: details.question ?? null, taskId: details.taskId, contextId: details.contextId },
      schema: null,
      allowEdit: true,
      onTimeout: 'fail',
      timeoutSeconds: null,
    });
  }

  /**
   * The answer to send back to a remote agent that asked for input in this attempt, once a
   * person decided: `{ decision, comment?, answer? }` where `answer` is the payload the person
   * gave. A deadline that passed fails the step instead. Null when nothing was asked.
   */
  async agentReply(step: ClaimedStep): Promise<{ reply: AgentReply } | { error: StepError } | null> {
    const approval = await this.checkpoints.forStep(step.id, step.attempt, 'agent_input');
    if (!approval || approval.status === 'pending' || approval.status === 'cancelled') return null;
    if (approval.status === 'expired') return { error: { ...decisionError(approval), attempt: step.attempt } };
    const asked = approval.payload as { taskId: string; contextId: string };
    const edited = JSON.stringify(approval.decidedPayload) !== JSON.stringify(approval.payload);
    const data: Record<string, unknown> = { decision: approval.decision };
    if (approval.comment) data.comment = approval.comment;
    if (approval.status === 'approved' && edited) data.answer = approval.decidedPayload;
    return {
      reply: { taskId: asked.taskId, contextId: asked.contextId, data, messageId: `${step.id}:${step.attempt}:reply:${approval.round}` },
    };
  }

  /** The decision on this attempt's failure escalation, if a person rejected it. */
  async rejectedEscalation(step: ClaimedStep): Promise<StepError | null> {
    const approval = await this.checkpoints.forStep(step.id, step.attempt, 'failure');
    if (!approval || approval.status === 'pending' || approval.status === 'approved') return null;
    return { ...decisionError(approval), attempt: step.attempt };
  }
}

/** A remote agent's question, when that is what the error is. */
export function agentQuestion(error: unknown): AgentQuestion | null {
  if (!(error instanceof AgentCallError) || error.code !== 'input_required') return null;
  const details = error.details as Partial<AgentQuestion> | undefined;
  if (!details?.taskId) return null;
  return { taskId: details.taskId, contextId: details.contextId ?? '', question: details.question ?? null };
}

/** The step error a rejected or expired approval means. */
export function decisionError(approval: Approval): StepError {
  const by = approval.decidedBy?.name ?? 'unknown';
  if (approval.status === 'expired') {
    return { message: `no decision on checkpoint ${approval.stepKey} before its deadline`, code: 'checkpoint_timeout', retryable: false };
  }
  const comment = approval.comment ? `: ${approval.comment}` : '';
  return { message: `rejected by ${by}${comment}`, code: 'checkpoint_rejected', retryable: false };
}
