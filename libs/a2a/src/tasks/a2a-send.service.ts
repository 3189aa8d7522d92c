import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { OrchestrationCheckpointService, type DecisionInput } from '@baton/approvals';
import { principalLabel, principalTokenId, type Principal } from '@baton/identity';
import { BatonConfig, BatonError, contentHash } from '@baton/common';
import { OrchestrationDefinitionService, type DefinitionRef } from '@baton/definitions';
import { OrchestrationRunFactoryService } from '@baton/runs';
import { isRecord, type InboundMessage, type ProtocolVersion, type SendParams } from '../protocol/dialect.js';
import { A2aRpcError } from '../rpc/a2a-rpc-error.js';
import { A2aTaskService } from './a2a-task.service.js';
import { defaultIntent, readIntent, type MessageIntent } from './message-intent.js';
import { boundOwnerOfPrincipal, ownedDefinitionRef } from './task-access.js';
import { A2aTaskHistoryService } from './task-history.service.js';
import { isTerminalState, type TaskView } from './task-view.js';

/** What a sent message does: start a run, or decide the checkpoint a task waits on. */
@Injectable()
export class A2aSendService {
  private readonly defaultDefinition: string | undefined;

  constructor(
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(OrchestrationCheckpointService) private readonly checkpoints: OrchestrationCheckpointService,
    @Inject(A2aTaskService) private readonly tasks: A2aTaskService,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(A2aTaskHistoryService) private readonly history: A2aTaskHistoryService,
    @Inject(BatonConfig) config: BatonConfig,
  ) {
    this.defaultDefinition = config.a2aDefaultDefinition;
  }

  /** Acts on the message and returns the task at once (the caller decides whether to wait). */
  async send(params: SendParams, principal: Principal, version: ProtocolVersion): Promise<TaskView> {
    let intent = readIntent(params, this.defaultDefinition);
    if (intent.kind === 'continue') return this.continueTask(intent.taskId, intent.decision, principal, params.message);
    // A one-word text that names no saved definition is free text for the default skill.
    if (intent.guessed && this.defaultDefinition && !(await this.exists(ownedDefinitionRef(intent.definition, principal)!))) {
      const text = params.message.parts.flatMap((part) => (part.kind === 'text' ? [part.text] : [])).join('\n').trim();
      intent = defaultIntent(params, this.defaultDefinition, text, null) as typeof intent;
    }
    return this.create(intent, principal, version, params.message.contextId, { message: params.message, digest: messageDigest(params) });
  }

  /**
   * Whether a blocking send that found the task completed answers with a Message instead of
   * the Task: the definition says so (`a2a: { answer: message }`).
   */
  async answersWithMessage(view: TaskView): Promise<boolean> {
    if (view.state !== 'completed') return false;
    const run = await this.tasks.run(view.id);
    try {
      const definition = await this.definitions.getVersion(run.definitionName, run.definitionVersion, run.owner);
      const a2a = definition.body.a2a;
      return isRecord(a2a) && a2a.answer === 'message';
    } catch (error) {
      // An inline plan's definition may not be found by name: it answers with the task.
      if (error instanceof BatonError && error.kind === 'not_found') return false;
      throw error;
    }
  }

  private async exists(ref: DefinitionRef): Promise<boolean> {
    try {
      await this.definitions.getLatest(ref.name, ref.owner);
      return true;
    } catch (error) {
      if (error instanceof BatonError && error.kind === 'not_found') return false;
      throw error;
    }
  }

  /**
   * Starts a run. The message id is the idempotency key, so a retried send (same message)
   * finds the first run instead of starting a second one. A message in a conversation
   * (`contextId`) with an earlier task is linked to the latest one (`metadata.a2a.previousTaskId`),
   * and an input Baton built from the message gets `previous: { taskId, state, output }`.
   */
  async create(
    intent: Extract<MessageIntent, { kind: 'create' }>,
    principal: Principal,
    version: ProtocolVersion | 'baton',
    contextId?: string,
    sent?: { message: InboundMessage; digest: string },
  ): Promise<TaskView> {
    const a2a: Record<string, unknown> = { protocol: version };
    const messageId = sent?.message.messageId;
    if (messageId) a2a.messageId = messageId;
    let input = intent.input;
    const previous = contextId ? await this.tasks.latestInContext(contextId, principal) : null;
    if (previous) {
      a2a.previousTaskId = previous.id;
      if (intent.built && isRecord(input)) input = { ...input, previous: { taskId: previous.id, state: previous.status, output: previous.output } };
    }
    const { run, created } = await this.factory.create({
      submittedBy: principalTokenId(principal),
      // Tenancy: a bound token starts tasks of its own owner only.
      definition: ownedDefinitionRef(intent.definition, principal),
      plan: intent.plan,
      planOwner: boundOwnerOfPrincipal(principal),
      input,
      // Scoped by submitter (another token reusing a message id must not get this task) and
      // by content: only an identical repeat is a retry; a reused id with other parts is new.
      idempotencyKey: messageId ? `a2a:${'anonymous' in principal ? '-' : (principalTokenId(principal) ?? principalLabel(principal))}:${messageId}:${sent?.digest ?? ''}` : undefined,
      metadata: { contextId: contextId ?? randomUUID(), a2a },
    });
    if (created && sent) await this.history.record(run.id, sent.message);
    return this.tasks.viewOf(run);
  }

  /** Decides the open checkpoint of an input-required task; other messages to a task are refused. */
  async continueTask(taskId: string, decision: DecisionInput | undefined, principal: Principal, message?: InboundMessage): Promise<TaskView> {
    const run = await this.tasks.readableRun(taskId, principal);
    const view = await this.tasks.viewOf(run);
    if (isTerminalState(view.state)) throw A2aRpcError.unsupported(`task ${taskId} is ${view.state}: a finished task accepts no more messages`);
    if (view.state !== 'input-required') {
      throw A2aRpcError.unsupported(`task ${taskId} is ${view.state}: it takes a message only when input-required, carrying a decision`);
    }
    if (!decision) {
      throw A2aRpcError.invalidParams('params.message.parts', 'carry a data part { decision: "approve" | "reject", payload?, comment? }');
    }
    this.tasks.access.assertMayContinue(run, principal);
    const approval = await this.tasks.pendingApproval(taskId);
    if (!approval) throw A2aRpcError.unsupported(`task ${taskId} has no open checkpoint any more`);
    // The approvals service decides whether this caller may answer this kind of checkpoint.
    await this.checkpoints.decide(approval.id, decision, principal);
    if (message) await this.history.record(taskId, message);
    return this.tasks.view(taskId);
  }
}

/** What makes two sends with one message id the same message: its parts, context and metadata. */
function messageDigest(params: SendParams): string {
  const { message } = params;
  return contentHash({ parts: message.parts, contextId: message.contextId ?? null, metadata: message.metadata, request: params.metadata }).slice(0, 32);
}
