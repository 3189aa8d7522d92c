import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { JSONRPCResponse } from 'json-rpc-2.0';
import { principalOf } from '@baton/identity';
import { A2A_OPTIONS, type A2aModuleOptions } from '../a2a.options.js';
import { baseUrlOf } from '../card/agent-card.controller.js';
import { A2A_CODES, A2aRpcError, toRpcError, type RpcErrorBody } from '../rpc/a2a-rpc-error.js';
import { A2aRpcService, StreamStart } from '../rpc/a2a-rpc.service.js';
import { A2aTaskStreamService } from '../streaming/task-stream.service.js';
import { restCallOf, restError } from './rest-routes.js';

const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' };

/**
 * A2A v1.0's HTTP+JSON binding under `/a2a/v1` (`POST /a2a/v1/message:send`, `GET
 * /a2a/v1/tasks/{id}`, ...). Each route runs the v1.0 JSON-RPC method of the same meaning
 * (see `rest-routes.ts`) and answers its result as the body, or its error with the HTTP
 * status and AIP-193 body the specification maps it to; streams are SSE of `StreamResponse`
 * objects. The access guard has checked the token (`runs.submit`, as `POST /a2a`).
 */
@Controller()
export class A2aRestController {
  constructor(
    @Inject(A2aRpcService) private readonly rpc: A2aRpcService,
    @Inject(A2aTaskStreamService) private readonly streams: A2aTaskStreamService,
    @Inject(A2A_OPTIONS) private readonly options: A2aModuleOptions,
  ) {}

  @All('a2a/v1/*path')
  async handle(@Req() request: Request, @Res() response: Response): Promise<void> {
    const path = request.path.slice('/a2a/v1'.length);
    const call = restCallOf(request.method, path, request.query as Record<string, unknown>, request.body);
    if (!call) return fail(response, { code: A2A_CODES.methodNotFound, message: `no A2A HTTP+JSON route ${request.method} /a2a/v1${path}` });
    const type = request.header('content-type');
    if (type && !/^application\/(a2a\+)?json\s*(;|$)/i.test(type)) {
      return fail(response, toRpcError(A2aRpcError.contentType(`Content-Type ${type} is not supported: send application/json`)));
    }
    let answer: JSONRPCResponse | null;
    try {
      answer = await this.rpc.receive(
        '1.0',
        { jsonrpc: '2.0', id: 1, method: call.method, params: call.params },
        { principal: principalOf(request), baseUrl: baseUrlOf(request, this.options) },
      );
    } catch (error) {
      return fail(response, toRpcError(error));
    }
    if (!answer) return fail(response, { code: A2A_CODES.internalError, message: 'no answer' });
    if (answer.error) return fail(response, answer.error as RpcErrorBody);
    if (answer.result instanceof StreamStart) return this.stream(response, answer.result);
    if (call.status === 204) {
      response.status(204).end();
      return;
    }
    response.status(call.status).json(answer.result);
  }

  /** SSE: one `StreamResponse` per event; a failure mid-stream is an `error` event. */
  private async stream(response: Response, start: StreamStart): Promise<void> {
    const abort = new AbortController();
    response.on('close', () => abort.abort());
    response.status(200).set(SSE_HEADERS);
    response.flushHeaders();
    const dialect = this.rpc.dialect('1.0');
    try {
      for await (const event of this.streams.follow(start.first.id, abort.signal, start.first, start.untilTerminal)) {
        if (abort.signal.aborted) break;
        response.write(`data: ${JSON.stringify(dialect.renderEvent(event))}\n\n`);
      }
    } catch (error) {
      if (!abort.signal.aborted) response.write(`event: error\ndata: ${JSON.stringify(restError(toRpcError(error)).body)}\n\n`);
    }
    response.end();
  }
}

function fail(response: Response, error: RpcErrorBody): void {
  // The JSON-RPC service already wrote v1.0 details into `data`; keep Baton's plain data out.
  const plain = Array.isArray(error.data) ? { code: error.code, message: error.message } : error;
  const { status, body } = restError(plain);
  if (Array.isArray(error.data)) (body.error as Record<string, unknown>).details = error.data;
  response.status(status).json(body);
}
