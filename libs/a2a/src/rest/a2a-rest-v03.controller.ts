import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { restHandler } from 'a2a-sdk-v03/server/express';
import { principalOf } from '@baton/identity';
import { A2A_OPTIONS, type A2aModuleOptions } from '../a2a.options.js';
import { baseUrlOf } from '../card/agent-card.controller.js';
import { AgentCardService } from '../card/agent-card.service.js';
import { renderCardV03 } from '../card/card-v03.js';
import { isRecord } from '../protocol/dialect.js';
import { A2aRpcService } from '../rpc/a2a-rpc.service.js';
import { A2aTaskStreamService } from '../streaming/task-stream.service.js';
import { restError } from './rest-routes.js';
import { RestV03Handler, type RestV03User } from './rest-v03.handler.js';

const PREFIX = '/a2a/v0.3';

/**
 * A2A v0.3's HTTP+JSON binding under `/a2a/v0.3` (`POST /a2a/v0.3/v1/message:send`, ...):
 * the official v0.3 SDK's REST router (its protobuf JSON and error mapping) over
 * `RestV03Handler`, which runs Baton's v0.3 JSON-RPC methods. The access guard has checked
 * the token (`runs.submit`, as `POST /a2a`).
 */
@Controller()
export class A2aRestV03Controller {
  private readonly router: RequestHandler;

  constructor(
    @Inject(A2aRpcService) rpc: A2aRpcService,
    @Inject(A2aTaskStreamService) streams: A2aTaskStreamService,
    @Inject(AgentCardService) cards: AgentCardService,
    @Inject(A2A_OPTIONS) options: A2aModuleOptions,
  ) {
    // Only the card's capabilities are read there, so any base URL will do without publicUrl.
    const card = async () => renderCardV03(await cards.card(options.publicUrl ?? ''));
    this.router = restHandler({
      requestHandler: new RestV03Handler(rpc, streams, card),
      userBuilder: async (request: Request): Promise<RestV03User> => {
        const principal = principalOf(request);
        const userName = 'anonymous' in principal ? 'anonymous' : principal.name;
        return { isAuthenticated: !('anonymous' in principal), userName, principal, baseUrl: baseUrlOf(request, options) };
      },
    }) as unknown as RequestHandler;
  }

  @All('a2a/v0.3/*path')
  handle(@Req() request: Request, @Res() response: Response): void {
    // The router's routes are relative (`/v1/message:send`): hand it the rest of the path.
    request.url = request.url.slice(PREFIX.length) || '/';
    // The v0.3 SDK's client posts a TaskPushNotificationConfig where its router reads a
    // CreateTaskPushNotificationConfigRequest: take both.
    const create = /^\/v1\/tasks\/([^/:]+)\/pushNotificationConfigs\/?$/.exec(request.path);
    if (request.method === 'POST' && create && isRecord(request.body) && !('config' in request.body)) {
      request.body = { parent: `tasks/${create[1]}`, config: request.body };
    }
    const notFound: NextFunction = () => {
      const { status, body } = restError({ code: -32601, message: `no A2A v0.3 HTTP+JSON route ${request.method} ${PREFIX}${request.path}` });
      response.status(status).json(body);
    };
    this.router(request, response, notFound);
  }
}
