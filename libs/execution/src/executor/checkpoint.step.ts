import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationCheckpointService, type Approval } from '@baton/approvals';
import { renderTemplate, type StepSpec, type TemplateContext } from '@baton/definitions';
import { StepTransitionsService, type ClaimedStep, type StepError } from '@baton/runs';
import { dependencyOutputs, type AgentReply } from './agent.step.js';
import { StepFailure } from './step-failure.js';

/**
 * Steps that wait for a person: `type: checkpoint`, and any step whose failure escalates
 * through `notify_human`. The approval is opened (or found again after a crash); once
 * decided, the woken step lands here to act on the decision.
 */
@Injectable()
export class CheckpointStep {
  constructor(
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
    @Inject(StepTransitionsService) private readonly transitions: StepTransitionsService,
  ) {}

  async run(step: ClaimedStep, spec: StepSpec, context: TemplateContext): Promise<void> {
    const checkpoint = spec.checkpoint ?? { onTimeout: 'fail' as const, allowEdit: false };
    const payload = checkpoint.payload !== undefined ? renderTemplate(checkpoint.payload, context) : dependencyOutputs(spec, context);
    const prompt = checkpoint.prompt !== undefined ? String(renderTemplate(checkpoint.prompt, context) ?? '') : null;
    const approval = await this.checkpoints.ensure(step, {
      kind: 'checkpoint',
      prompt,
      payload,
      schema: checkpoint.schema ?? null,
      allowEdit: checkpoint.allowEdit,
      onTimeout: checkpoint.onTimeout,
      timeoutSeconds: checkpoint.timeoutSeconds ?? null,
    });
    if (approval.status === 'pending') return; // parked until someone decides
    if (approval.status === 'approved') {
      await this.transitions.complete(step, approval.decidedPayload, { input: payload });
      return;
    }
    throw decisionFailure(approval);
  }

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

export interface AgentQuestion {
  taskId: string;
  contextId: string;
  question: string | null;
}

function decisionError(approval: Approval): StepError {
  const by = approval.decidedBy?.name ?? 'unknown';
  if (approval.status === 'expired') {
    return { message: `no decision on checkpoint ${approval.stepKey} before its deadline`, code: 'checkpoint_timeout', retryable: false };
  }
  const comment = approval.comment ? `: ${approval.comment}` : '';
  return { message: `rejected by ${by}${comment}`, code: 'checkpoint_rejected', retryable: false };
}

function decisionFailure(approval: Approval): StepFailure {
  const error = decisionError(approval);
  return new StepFailure(error.message, false, error.code!, { approvalId: approval.id });
}
