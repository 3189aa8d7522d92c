import { A2AError, type A2ARequestHandler, type ServerCallContext } from 'a2a-sdk-v03/server';
import type { JSONRPCResponse } from 'json-rpc-2.0';
import type { Principal } from '@baton/identity';
import { dialectV03 } from '../protocol/dialect-v03.js';
import { A2A_CODES } from '../rpc/a2a-rpc-error.js';
import { StreamStart, type A2aRpcService } from '../rpc/a2a-rpc.service.js';
import type { A2aTaskStreamService } from '../streaming/task-stream.service.js';

/** The caller, as the v0.3 REST router's user builder hands it to the handler. */
export interface RestV03User {
  isAuthenticated: boolean;
  userName: string;
  principal: Principal;
  baseUrl: string;
}

type Anything = any;

/**
 * A2A v0.3's HTTP+JSON binding, served by the official v0.3 SDK's REST router (which reads
 * and writes the v0.3 protobuf JSON) over this handler. Every call runs the v0.3 JSON-RPC
 * method of the same meaning, so the rules, checks and errors are the JSON-RPC ones; an
 * error becomes the SDK's `A2AError`, which its router maps to an HTTP status.
 */
export class RestV03Handler implements A2ARequestHandler {
  constructor(
    private readonly rpc: A2aRpcService,
    private readonly streams: A2aTaskStreamService,
    /** The public v0.3 card; the SDK's router reads its capabilities (streaming, pushes). */
    private readonly card: () => Promise<Anything>,
  ) {}

  getAgentCard(): Promise<Anything> {
    return this.card();
  }

  getAuthenticatedExtendedAgentCard(context?: ServerCallContext): Promise<Anything> {
    return this.call('agent/getAuthenticatedExtendedCard', {}, context);
  }

  sendMessage(params: Anything, context?: ServerCallContext): Promise<Anything> {
    return this.call('message/send', params, context);
  }

  sendMessageStream(params: Anything, context?: ServerCallContext): AsyncGenerator<Anything, void, undefined> {
    return this.stream('message/stream', params, context);
  }

  getTask(params: Anything, context?: ServerCallContext): Promise<Anything> {
    return this.call('tasks/get', params, context);
  }

  cancelTask(params: Anything, context?: ServerCallContext): Promise<Anything> {
    return this.call('tasks/cancel', params, context);
  }

  setTaskPushNotificationConfig(params: Anything, context?: ServerCallContext): Promise<Anything> {
    return this.call('tasks/pushNotificationConfig/set', params, context);
  }

  getTaskPushNotificationConfig(params: Anything, context?: ServerCallContext): Promise<Anything> {
    return this.call('tasks/pushNotificationConfig/get', params, context);
  }

  listTaskPushNotificationConfigs(params: Anything, context?: ServerCallContext): Promise<Anything> {
    return this.call('tasks/pushNotificationConfig/list', params, context);
  }

  async deleteTaskPushNotificationConfig(params: Anything, context?: ServerCallContext): Promise<void> {
    await this.call('tasks/pushNotificationConfig/delete', params, context);
  }

  resubscribe(params: Anything, context?: ServerCallContext): AsyncGenerator<Anything, void, undefined> {
    return this.stream('tasks/resubscribe', params, context);
  }

  private async call(method: string, params: unknown, context?: ServerCallContext): Promise<Anything> {
    const answer = await this.receive(method, params, context);
    return answer.result;
  }

  private async *stream(method: string, params: unknown, context?: ServerCallContext): AsyncGenerator<Anything, void, undefined> {
    const answer = await this.receive(method, params, context);
    const start = answer.result;
    if (!(start instanceof StreamStart)) throw new A2AError(A2A_CODES.internalError, `${method} did not stream`);
    const abort = new AbortController();
    try {
      for await (const event of this.streams.follow(start.first.id, abort.signal, start.first, start.untilTerminal)) yield dialectV03.renderEvent(event);
    } finally {
      abort.abort();
    }
  }

  private async receive(method: string, params: unknown, context?: ServerCallContext): Promise<JSONRPCResponse & { result?: Anything }> {
    const user = context?.user as RestV03User | undefined;
    if (!user) throw new A2AError(A2A_CODES.internalError, 'no caller');
    const answer = await this.rpc.receive('0.3', { jsonrpc: '2.0', id: 1, method, params }, { principal: user.principal, baseUrl: user.baseUrl });
    if (!answer) throw new A2AError(A2A_CODES.internalError, `${method} gave no answer`);
    if (answer.error) throw new A2AError(answer.error.code, answer.error.message, answer.error.data as Record<string, unknown> | undefined);
    return answer;
  }
}
