import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  createJSONRPCErrorResponse,
  createJSONRPCSuccessResponse,
  isJSONRPCID,
  type JSONRPCID,
  type JSONRPCResponse,
} from 'json-rpc-2.0';
import { principalOf } from '@baton/identity';
import { A2A_OPTIONS, type A2aModuleOptions } from '../a2a.options.js';
import { baseUrlOf } from '../card/agent-card.controller.js';
import type { Dialect, ProtocolVersion } from '../protocol/dialect.js';
import { protocolOf } from '../protocol/protocol-version.js';
import { A2aTaskStreamService } from '../streaming/task-stream.service.js';
import { A2A_CODES, A2aRpcError, errorInDialect, toRpcError, type RpcErrorBody } from './a2a-rpc-error.js';
import { restError } from '../rest/rest-routes.js';
import { A2aRpcService, StreamStart } from './a2a-rpc.service.js';

const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' };

/**
 * `POST /a2a`: A2A JSON-RPC for orchestrator agents. The access guard has already checked
 * the token (the route needs `runs.submit`). JSON-RPC errors are sent with HTTP 200; the
 * streaming methods answer with SSE, each event one JSON-RPC response with the request's id.
 */
@Controller()
export class A2aController {
  constructor(
    @Inject(A2aRpcService) private readonly rpc: A2aRpcService,
    @Inject(A2aTaskStreamService) private readonly streams: A2aTaskStreamService,
    @Inject(A2A_OPTIONS) private readonly options: A2aModuleOptions,
  ) {}

  @Post('a2a')
  async handle(@Req() request: Request, @Res() response: Response): Promise<void> {
    const header = request.header('a2a-version');
    const version = protocolOf(header);
    // An unknown version gets the newest error shape: the caller speaks something past 0.3.
    const dialect = version ?? '1.0';
    if (!isJsonContentType(request.header('content-type'))) {
      const refused = A2aRpcError.contentType(`Content-Type ${request.header('content-type') ?? '(none)'} is not supported: send application/json`);
      return reply(response, errorResponse(dialect, null, toRpcError(refused)));
    }
    const body = await readJson(request);
    if (!body.ok) return reply(response, errorResponse(dialect, null, { code: A2A_CODES.parseError, message: `parse error: ${body.error}` }));
    const invalid = invalidRequest(body.value);
    const id = invalid === null || isJSONRPCID(body.value?.id) ? ((body.value?.id ?? null) as JSONRPCID) : null;
    if (!version) {
      const message = `A2A-Version ${header} is not supported: use 1.0, or 0.3 (or no header)`;
      return reply(response, errorResponse(dialect, id, { code: A2A_CODES.versionNotSupported, message, data: { supported: ['1.0', '0.3'] } }));
    }
    if (invalid) return reply(response, errorResponse(version, id, { code: A2A_CODES.invalidRequest, message: invalid }));
    let answer: JSONRPCResponse | null;
    try {
      answer = await this.rpc.receive(version, body.value, { principal: principalOf(request), baseUrl: baseUrlOf(request, this.options) });
    } catch (error) {
      answer = errorResponse(version, id, toRpcError(error));
    }
    // A notification (no id) gets no JSON-RPC reply, as JSON-RPC 2.0 says: an empty 204.
    if (!answer || !('id' in body.value)) {
      response.status(204).end();
      return;
    }
    if (answer.result instanceof StreamStart) return this.stream(response, this.rpc.dialect(version), answer.id, answer.result);
    // v0.3 §7.9: resubscribing to a task that does not exist is an HTTP error, not a 200.
    const status = version === '0.3' && body.value.method === 'tasks/resubscribe' && answer.error?.code === A2A_CODES.taskNotFound ? 404 : 200;
    reply(response, answer, status);
  }

  private async stream(response: Response, dialect: Dialect, id: JSONRPCID, start: StreamStart): Promise<void> {
    const abort = new AbortController();
    response.on('close', () => abort.abort());
    response.status(200).set(SSE_HEADERS);
    response.flushHeaders();
    try {
      for await (const event of this.streams.follow(start.first.id, abort.signal, start.first, start.untilTerminal)) {
        if (abort.signal.aborted) break;
        await write(response, createJSONRPCSuccessResponse(id, dialect.renderEvent(event)));
      }
    } catch (error) {
      if (!abort.signal.aborted) await write(response, errorResponse(dialect.version, id, toRpcError(error)));
    }
    response.end();
  }
}

/** A JSON-RPC error response with `data` in the dialect's shape. */
function errorResponse(version: ProtocolVersion, id: JSONRPCID, error: RpcErrorBody): JSONRPCResponse {
  const shaped = errorInDialect(version, error);
  return createJSONRPCErrorResponse(id, shaped.code, shaped.message, shaped.data);
}

/** Why `value` is not a JSON-RPC 2.0 request (-32600), or null when it is one. */
function invalidRequest(value: unknown): string | null {
  if (Array.isArray(value)) return 'batch requests are not supported';
  if (value === null || typeof value !== 'object') return 'the body must be a JSON-RPC request object';
  const request = value as Record<string, unknown>;
  if (request.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if (typeof request.method !== 'string' || !request.method) return 'method must be a string';
  if ('id' in request && !isJSONRPCID(request.id)) return 'id must be a string, a number or null';
  if ('params' in request && (request.params === null || typeof request.params !== 'object')) return 'params must be an object or an array';
  return null;
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJsonContentType(header: string | undefined): boolean {
  return (header ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Express error middleware for `POST /a2a`: the app's JSON body parser refuses a malformed body
 * before the controller runs; JSON-RPC wants a -32700 Parse error (HTTP 200, id null) instead
 * (and the HTTP+JSON binding under `/a2a/v1/` its AIP-193 400).
 * Registered by `A2aParseErrors` after the body parser and before Nest's own error handler.
 */
export function a2aParseErrorHandler(error: unknown, request: Request, response: Response, next: (error?: unknown) => void): void {
  const type = (error as { type?: unknown } | null)?.type;
  if (type !== 'entity.parse.failed' || response.headersSent) return next(error);
  if (request.path.startsWith('/a2a/v1/')) {
    const { status, body } = restError({ code: A2A_CODES.parseError, message: `parse error: ${(error as Error).message}` });
    response.status(status).json(body);
    return;
  }
  if (request.method !== 'POST' || request.path !== '/a2a') return next(error);
  const version = protocolOf(request.header('a2a-version')) ?? '1.0';
  reply(response, errorResponse(version, null, { code: A2A_CODES.parseError, message: `parse error: ${(error as Error).message}` }));
}

function reply(response: Response, body: JSONRPCResponse, status = 200): void {
  response.status(status).json(body);
}

/** One SSE event; waits for the socket to drain (backpressure) unless it closed. */
function write(response: Response, body: JSONRPCResponse): Promise<void> {
  if (response.writableEnded || response.destroyed) return Promise.resolve();
  const more = response.write(`data: ${JSON.stringify(body)}\n\n`);
  if (more) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

/** Bodies no parser took are read here; the JSON parser has its own limit. */
const MAX_RAW_BODY = 5 * 1024 * 1024;

type ParsedBody = { ok: true; value: any } | { ok: false; error: string };

/**
 * The request body as JSON: parsed by the app's body parser (a malformed one is answered by
 * `a2aParseErrorHandler`), or read and parsed here when no parser took it.
 */
async function readJson(request: Request): Promise<ParsedBody> {
  // A body parser consumed the stream already (JSON, or the YAML text parser).
  if (request.readableEnded) {
    if (typeof request.body !== 'string') return { ok: true, value: request.body };
    return parse(request.body);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_RAW_BODY) return { ok: false, error: `body larger than ${MAX_RAW_BODY} bytes` };
    chunks.push(Buffer.from(chunk));
  }
  return parse(Buffer.concat(chunks).toString('utf8'));
}

function parse(text: string): ParsedBody {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
