import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationCheckpointService, type Decider, type DecisionInput } from '@baton/approvals';
import { roleAllows, type Principal } from '@baton/identity';
import { OrchestrationRunFactoryService, type Run } from '@baton/runs';
import type { ProtocolVersion, SendParams } from '../protocol/dialect.js';
import { A2aRpcError } from '../rpc/a2a-rpc-error.js';
import { A2aTaskService } from './a2a-task.service.js';
import { readIntent, type MessageIntent } from './message-intent.js';
import { isTerminalState, type TaskView } from './task-view.js';

/** What a sent message does: start a run, or decide the checkpoint a task waits on. */
@Injectable()
export class A2aSendService {
  constructor(
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
    @Inject(A2aTaskService) private readonly tasks: A2aTaskService,
  ) {}

  /** Acts on the message and returns the task at once (the caller decides whether to wait). */
  async send(params: SendParams, principal: Principal, version: ProtocolVersion): Promise<TaskView> {
    const intent = readIntent(params);
    if (intent.kind === 'continue') return this.continueTask(intent.taskId, intent.decision, principal);
    return this.create(intent, principal, version, params.message.contextId, params.message.messageId);
  }

  /**
   * Starts a run. The message id is the idempotency key, so a retried send (same message)
   * finds the first run instead of starting a second one.
   */
  async create(
    intent: Extract<MessageIntent, { kind: 'create' }>,
    principal: Principal,
    version: ProtocolVersion | 'baton',
    contextId?: string,
    messageId?: string,
  ): Promise<TaskView> {
    const a2a: Record<string, unknown> = { protocol: version };
    if (messageId) a2a.messageId = messageId;
    if (!('anonymous' in principal)) a2a.submittedBy = principal.tokenId;
    const { run } = await this.factory.create({
      definition: intent.definition,
      plan: intent.plan,
      input: intent.input,
      idempotencyKey: messageId ? `a2a:${messageId}` : undefined,
      metadata: { contextId: contextId ?? randomUUID(), a2a },
    });
    return this.tasks.viewOf(run);
  }

  /** Decides the open checkpoint of an input-required task; other messages to a task are refused. */
  async continueTask(taskId: string, decision: DecisionInput | undefined, principal: Principal): Promise<TaskView> {
    const run = await this.tasks.run(taskId);
    const view = await this.tasks.viewOf(run);
    if (isTerminalState(view.state)) throw A2aRpcError.unsupported(`task ${taskId} is ${view.state}: a finished task accepts no more messages`);
    if (view.state !== 'input-required') {
      throw A2aRpcError.unsupported(`task ${taskId} is ${view.state}: it takes a message only when input-required, carrying a decision`);
    }
    if (!decision) {
      throw A2aRpcError.invalidParams('params.message.parts', 'carry a data part { decision: "approve" | "reject", payload?, comment? }');
    }
    assertMayContinue(run, principal);
    const approval = await this.tasks.pendingApproval(taskId);
    if (!approval) throw A2aRpcError.unsupported(`task ${taskId} has no open checkpoint any more`);
    await this.checkpoints.decide(approval.id, decision, deciderOf(principal));
    return this.tasks.view(taskId);
  }
}

/**
 * Continuing a task decides its checkpoint: operators (approvals.decide) may for any task,
 * and the agent that submitted the task may for its own (the "agent may submit and
 * continue").
 */
function assertMayContinue(run: Run, principal: Principal): void {
  if ('anonymous' in principal || roleAllows(principal.role, 'approvals.decide')) return;
  const submittedBy = (run.metadata?.a2a as { submittedBy?: string } | undefined)?.submittedBy;
  if (submittedBy && submittedBy === principal.tokenId) return;
  throw A2aRpcError.forbidden(
    `token ${principal.name} (${principal.role}) may only continue tasks it submitted (or needs approvals.decide)`,
    'approvals.decide',
  );
}

function deciderOf(principal: Principal): Decider {
  return 'anonymous' in principal ? { name: 'anonymous' } : { id: principal.tokenId, name: principal.name, role: principal.role };
}
