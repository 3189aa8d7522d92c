import { Inject, Injectable, Logger } from '@nestjs/common';
import { JSONRPCServer, createJSONRPCErrorResponse, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import type { Principal } from '@baton/identity';
import { A2A_OPTIONS, DEFAULT_BLOCKING_TIMEOUT_MS, type A2aModuleOptions } from '../a2a.options.js';
import { AgentCardService } from '../card/agent-card.service.js';
import { renderCardV03 } from '../card/card-v03.js';
import { renderCardV10 } from '../card/card-v10.js';
import type { Dialect, ProtocolVersion, SendParams } from '../protocol/dialect.js';
import { dialectV03 } from '../protocol/dialect-v03.js';
import { dialectV10 } from '../protocol/dialect-v10.js';
import { A2aPushConfigService, assertPushUrl } from '../push/a2a-push-config.service.js';
import { A2aSendService } from '../tasks/a2a-send.service.js';
import { A2aTaskService } from '../tasks/a2a-task.service.js';
import { A2aTaskHistoryService } from '../tasks/task-history.service.js';
import { readCreateParams, readDecision } from '../tasks/message-intent.js';
import { isTerminalState, type TaskView } from '../tasks/task-view.js';
import { A2A_CODES, A2aRpcError, errorInDialect, toRpcError } from './a2a-rpc-error.js';
import { isRecord } from '../protocol/dialect.js';

/** What every method gets besides its params. */
export interface RpcContext {
  principal: Principal;
  /** The base URL the card advertises (for the extended card). */
  baseUrl: string;
}

/** A streaming method's result: the controller answers it with SSE instead of JSON. */
export class StreamStart {
  /**
   * `untilTerminal`: a subscription stays open through INPUT_REQUIRED (and AUTH_REQUIRED) until
   * the task ends; a streamed send ends where a blocking send would answer.
   */
  constructor(
    readonly first: TaskView,
    readonly untilTerminal = false,
  ) {}
}

/**
 * The JSON-RPC methods of `POST /a2a`, one json-rpc-2.0 server per dialect. Both share the
 * Baton methods (`baton/create`, `baton/execute`, `baton/continue`, `baton/resume`), whose
 * params are plain JSON and whose results are tasks in the request's dialect.
 */
@Injectable()
export class A2aRpcService {
  private readonly logger = new Logger('A2A');
  private readonly servers: Record<ProtocolVersion, JSONRPCServer<RpcContext>>;
  private readonly timeoutMs: number;

  constructor(
    @Inject(A2aSendService) private readonly sender: A2aSendService,
    @Inject(A2aTaskService) private readonly tasks: A2aTaskService,
    @Inject(A2aPushConfigService) private readonly pushes: A2aPushConfigService,
    @Inject(AgentCardService) private readonly cards: AgentCardService,
    @Inject(A2aTaskHistoryService) private readonly history: A2aTaskHistoryService,
    @Inject(A2A_OPTIONS) options: A2aModuleOptions,
  ) {
    this.timeoutMs = options.blockingTimeoutMs ?? DEFAULT_BLOCKING_TIMEOUT_MS;
    this.servers = { '0.3': this.build(dialectV03), '1.0': this.build(dialectV10) };
  }

  dialect(version: ProtocolVersion): Dialect {
    return version === '1.0' ? dialectV10 : dialectV03;
  }

  receive(version: ProtocolVersion, request: JSONRPCRequest, context: RpcContext): PromiseLike<JSONRPCResponse | null> {
    return this.servers[version].receive(request, context);
  }

  private build(d: Dialect): JSONRPCServer<RpcContext> {
    const server = new JSONRPCServer<RpcContext>({ errorListener: () => undefined });
    server.mapErrorToJSONRPCErrorResponse = (id, error) => {
      const mapped = errorInDialect(d.version, toRpcError(error));
      if (mapped.code === A2A_CODES.internalError) this.logger.error((error as Error)?.stack ?? String(error));
      return createJSONRPCErrorResponse(id, mapped.code, mapped.message, mapped.data);
    };
    server.handleMethodNotFound = async (request) => {
      const hint = d.version === '0.3' && /^[A-Z]/.test(request.method) ? ' (A2A v1.0 methods need the header A2A-Version: 1.0)' : '';
      if (request.id === undefined) return null;
      const error = errorInDialect(d.version, { code: A2A_CODES.methodNotFound, message: `method ${request.method} not found${hint}` });
      return createJSONRPCErrorResponse(request.id, error.code, error.message, error.data);
    };
    const m = d.methods;
    server.addMethod(m.send, async (params, { principal }) => {
      const send = d.parseSend(params);
      const view = await this.sendWithPush(send, principal, d);
      const answer = send.blocking ? await this.tasks.settle(view.id, this.timeoutMs) : view;
      const asMessage = send.blocking && (await this.sender.answersWithMessage(answer));
      return d.renderSendResult(await this.history.attach(answer, send.historyLength), asMessage);
    });
    server.addMethod(m.stream, async (params, { principal }) => new StreamStart(await this.sendWithPush(d.parseSend(params), principal, d)));
    server.addMethod(m.get, async (params, { principal }) => {
      const view = await this.tasks.viewFor(d.parseTaskId(params), principal);
      const historyLength = isRecord(params) && typeof params.historyLength === 'number' ? params.historyLength : undefined;
      return d.renderTask(await this.history.attach(view, historyLength));
    });
    server.addMethod(m.cancel, async (params, { principal }) => d.renderTask(await this.tasks.cancel(d.parseTaskId(params), principal)));
    server.addMethod(m.subscribe, async (params, { principal }) => {
      const view = await this.tasks.viewFor(d.parseTaskId(params), principal);
      if (isTerminalState(view.state)) throw A2aRpcError.unsupported(`task ${view.id} is ${view.state}: there is nothing left to subscribe to (get the task instead)`);
      return new StreamStart(view, true);
    });
    // The authenticated extended card: the public card plus the caller and what it may do.
    server.addMethod(m.extendedCard, async (_params, { principal, baseUrl }) => {
      const card = await this.cards.extendedCard(baseUrl, principal);
      return d.version === '1.0' ? renderCardV10(card) : renderCardV03(card);
    });
    if (m.list) {
      server.addMethod(m.list, async (params, { principal }) => {
        const query = d.parseList(params);
        const page = await this.tasks.list(query, principal);
        // History only when asked for (it is one read of each task's log).
        if (query.historyLength !== undefined) page.tasks = await Promise.all(page.tasks.map((task) => this.history.attach(task, query.historyLength)));
        return d.renderList(page);
      });
    }
    this.addPushMethods(server, d);
    this.addBatonMethods(server, d);
    return server;
  }

  /**
   * Sends, then registers the message's inline push config for the task (checked first, so
   * a bad URL starts nothing). Pushes follow from about the moment it is registered.
   */
  private async sendWithPush(send: SendParams, principal: Principal, d: Dialect): Promise<TaskView> {
    assertOutputModes(send.acceptedOutputModes);
    const path = d.version === '1.0' ? 'params.configuration.taskPushNotificationConfig.url' : 'params.configuration.pushNotificationConfig.url';
    if (send.pushConfig) assertPushUrl(send.pushConfig.url, path);
    const view = await this.sender.send(send, principal, d.version);
    if (send.pushConfig) await this.pushes.create(view.id, send.pushConfig, d.version, principal, path);
    return view;
  }

  /** Push-notification configs: create (v0.3 `set`), get, list, delete. */
  private addPushMethods(server: JSONRPCServer<RpcContext>, d: Dialect): void {
    const m = d.methods.push;
    server.addMethod(m.create, async (params, { principal }) => {
      const { taskId, config } = d.parsePushCreate(params);
      return d.renderPushConfig(await this.pushes.create(taskId, config, d.version, principal));
    });
    server.addMethod(m.get, async (params, { principal }) => {
      const { taskId, configId } = d.parsePushRef(params);
      return d.renderPushConfig(await this.pushes.get(taskId, configId, principal));
    });
    server.addMethod(m.list, async (params, { principal }) => d.renderPushList(await this.pushes.list(d.parsePushList(params), principal)));
    server.addMethod(m.delete, async (params, { principal }) => {
      const { taskId, configId } = d.parsePushRef(params);
      await this.pushes.delete(taskId, configId, principal);
      return null;
    });
  }

  /** The seed's orchestration modes, for agents that prefer explicit calls to messages. */
  private addBatonMethods(server: JSONRPCServer<RpcContext>, d: Dialect): void {
    const create = async (params: unknown, principal: Principal) => {
      const contextId = isRecord(params) && typeof params.contextId === 'string' ? params.contextId : undefined;
      return this.sender.create(readCreateParams(params), principal, 'baton', contextId);
    };
    server.addMethod('baton/create', async (params, { principal }) => d.renderTask(await create(params, principal)));
    server.addMethod('baton/execute', async (params, { principal }) => {
      const view = await create(params, principal);
      return d.renderTask(await this.tasks.settle(view.id, this.timeoutMs));
    });
    server.addMethod('baton/continue', async (params, { principal }) => {
      const taskId = taskIdParam(params);
      const view = await this.sender.continueTask(taskId, readDecision(params as Record<string, unknown>, 'params'), principal);
      return d.renderTask(await this.tasks.settle(view.id, this.timeoutMs));
    });
    server.addMethod('baton/resume', async (params, { principal }) => d.renderTask(await this.tasks.resume(taskIdParam(params), principal)));
  }
}

/** The media types Baton's answers are made of (artifacts and status messages). */
const OUTPUT_MEDIA_TYPES = ['application/json', 'text/plain'];

/** -32005 when the caller accepts none of the media types Baton answers in. */
function assertOutputModes(accepted: string[]): void {
  if (accepted.length === 0) return;
  const takes = (mode: string) => {
    const wanted = mode.split(';')[0]!.trim().toLowerCase();
    return wanted === '*/*' || OUTPUT_MEDIA_TYPES.some((type) => type === wanted || (wanted.endsWith('/*') && type.startsWith(wanted.slice(0, -1))));
  };
  if (!accepted.some(takes)) {
    throw A2aRpcError.contentType(
      `Baton answers in ${OUTPUT_MEDIA_TYPES.join(' and ')}; none of the accepted output modes (${accepted.join(', ')}) is one of them`,
      'params.configuration.acceptedOutputModes',
    );
  }
}

function taskIdParam(params: unknown): string {
  if (!isRecord(params) || typeof params.taskId !== 'string' || !params.taskId) throw A2aRpcError.invalidParams('params.taskId', 'is required');
  return params.taskId;
}
