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
import type { Dialect } from '../protocol/dialect.js';
import { protocolOf } from '../protocol/protocol-version.js';
import { A2aTaskStreamService } from '../streaming/task-stream.service.js';
import { A2A_CODES, toRpcError } from './a2a-rpc-error.js';
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
  ) {}

  @Post('a2a')
  async handle(@Req() request: Request, @Res() response: Response): Promise<void> {
    const header = request.header('a2a-version');
    const body = await readJson(request);
    const id = body.ok && isJSONRPCID(body.value?.id) ? (body.value.id as JSONRPCID) : null;
    const version = protocolOf(header);
    if (!version) {
      return reply(response, createJSONRPCErrorResponse(id, A2A_CODES.versionNotSupported, `A2A-Version ${header} is not supported: use 1.0, or 0.3 (or no header)`, { supported: ['1.0', '0.3'] }));
    }
    if (!body.ok) return reply(response, createJSONRPCErrorResponse(null, A2A_CODES.parseError, `parse error: ${body.error}`));
    if (Array.isArray(body.value)) return reply(response, createJSONRPCErrorResponse(null, A2A_CODES.invalidRequest, 'batch requests are not supported'));
    let answer: JSONRPCResponse | null;
    try {
      answer = await this.rpc.receive(version, body.value, { principal: principalOf(request) });
    } catch (error) {
      const mapped = toRpcError(error);
      answer = createJSONRPCErrorResponse(id, mapped.code, mapped.message, mapped.data);
    }
    if (!answer) {
      response.status(204).end();
      return;
    }
    if (answer.result instanceof StreamStart) return this.stream(response, this.rpc.dialect(version), answer.id, answer.result);
    reply(response, answer);
  }

  private async stream(response: Response, dialect: Dialect, id: JSONRPCID, start: StreamStart): Promise<void> {
    const abort = new AbortController();
    response.on('close', () => abort.abort());
    response.status(200).set(SSE_HEADERS);
    response.flushHeaders();
    try {
      for await (const event of this.streams.follow(start.first.id, abort.signal, start.first)) {
        if (abort.signal.aborted) break;
        await write(response, createJSONRPCSuccessResponse(id, dialect.renderEvent(event)));
      }
    } catch (error) {
      const mapped = toRpcError(error);
      if (!abort.signal.aborted) await write(response, createJSONRPCErrorResponse(id, mapped.code, mapped.message, mapped.data));
    }
    response.end();
  }
}

function reply(response: Response, body: JSONRPCResponse): void {
  response.status(200).json(body);
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

/** Bodies of other content types than JSON are read here; the JSON parser has its own limit. */
const MAX_RAW_BODY = 5 * 1024 * 1024;

type ParsedBody = { ok: true; value: any } | { ok: false; error: string };

/**
 * The request body as JSON. `application/json` bodies were parsed by the app's body parser
 * (a malformed one is refused there with HTTP 400); any other content type is read and
 * parsed here, so a malformed body gets the JSON-RPC parse error.
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
