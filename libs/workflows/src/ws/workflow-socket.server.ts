import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { BatonConfig, BatonError, BrowserRequestPolicy, socketPathsOf } from '@baton/common';
import { EventStreamService, UPGRADE_AUTHORIZER, type UpgradeAuthorizer } from '@baton/events';
import { WorkflowRepository, type StoredWorkflow } from '../workflow.repository.js';
import { WorkflowService } from '../workflow.service.js';
import { phaseOf } from '../domain/phases.js';
import { WorkflowSocketConnection } from './workflow-socket.connection.js';

/** `ws://<host>/ws/workflows/{workflow_id}`, the seed's path. */
export const WORKFLOW_SOCKET_PATH = /^\/ws\/workflows\/([^/]+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const POSITION = /^\d+\.\d+$/;
const REFUSAL: Record<string, string> = { unauthorized: '401 Unauthorized', forbidden: '403 Forbidden', not_found: '404 Not Found', validation: '400 Bad Request', unavailable: '503 Service Unavailable' };

/**
 * The workflow socket on the API's HTTP server, beside the event socket (`/api/v1/ws`) and
 * authorised the same way: the Origin/Host guard, then the identity library's upgrade check
 * (route `GET /ws/workflows/:id`, action `read`, `?access_token=` accepted).
 */
@Injectable()
export class WorkflowSocketServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WorkflowSocket');
  private wss: WebSocketServer | undefined;
  private server: Server | undefined;
  private unclaim: (() => void) | undefined;
  private readonly connections = new Set<WorkflowSocketConnection>();
  private readonly browserPolicy: BrowserRequestPolicy;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(EventStreamService) private readonly streams: EventStreamService,
    @Inject(WorkflowRepository) private readonly workflows: WorkflowRepository,
    @Inject(WorkflowService) private readonly service: WorkflowService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {
    this.browserPolicy = new BrowserRequestPolicy({ listenHost: config.host, allowedOrigins: config.allowedOrigins, allowedHosts: config.allowedHosts });
  }

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!this.server) return;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 });
    this.unclaim = socketPathsOf(this.server).claim((path) => WORKFLOW_SOCKET_PATH.test(path));
    this.server.on('upgrade', this.onUpgrade);
  }

  onModuleDestroy(): void {
    this.unclaim?.();
    this.server?.off('upgrade', this.onUpgrade);
    for (const connection of this.connections) connection.close(1001, 'server shutting down');
    this.connections.clear();
    this.wss?.close();
    this.wss = undefined;
  }

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = WORKFLOW_SOCKET_PATH.exec(url.pathname);
    if (!match || !this.wss) {
      // Leave other socket servers' paths to them; refuse what none claims instead of hanging.
      if (!this.server || !socketPathsOf(this.server).isClaimed(url.pathname)) socket.destroy();
      return;
    }
    void this.accept(request, socket, head, match[1]!, url.searchParams.get('after'));
  };

  private async accept(request: IncomingMessage, socket: Duplex, head: Buffer, id: string, after: string | null): Promise<void> {
    socket.on('error', () => socket.destroy());
    let workflow: StoredWorkflow;
    try {
      const refusal = this.browserPolicy.refusal(request.headers);
      if (refusal) throw new BatonError('forbidden', refusal);
      const principal = (await this.authorizer()?.authorize(request)) as { owner?: unknown } | undefined;
      if (!UUID.test(id)) throw BatonError.validation([{ path: 'id', message: 'must be a UUID' }]);
      if (after !== null && !POSITION.test(after)) throw BatonError.validation([{ path: 'after', message: 'must be a cursor this socket sent (e.g. 1234.56)' }]);
      // Workflows belong to no owner: for a token bound to one they do not exist (as over HTTP).
      if (typeof principal?.owner === 'string' && principal.owner !== '') throw BatonError.notFound('workflow', id);
      const found = await this.workflows.find(id);
      if (!found) throw BatonError.notFound('workflow', id);
      workflow = found;
    } catch (error) {
      const status = (error instanceof BatonError && REFUSAL[error.kind]) || '500 Internal Server Error';
      const extra = status.startsWith('401') ? 'WWW-Authenticate: Bearer realm="baton"\r\n' : '';
      const body = error instanceof BatonError ? error.message : 'internal error';
      socket.end(`HTTP/1.1 ${status}\r\n${extra}Connection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    if (!this.wss) return void socket.destroy();
    this.wss.handleUpgrade(request, socket, head, (ws: WebSocket) => this.open(ws, workflow, after));
  }

  private open(ws: WebSocket, workflow: StoredWorkflow, after: string | null): void {
    const connection = new WorkflowSocketConnection(ws, this.streams, {
      workflowId: workflow.id,
      definitionId: workflow.definitionId,
      after,
      executionRuns: () => this.workflows.executionRunIds(workflow.id),
      snapshot: async () => {
        const { run } = await this.service.latestRun(workflow.id);
        return {
          type: 'workflow.status_changed',
          workflow_id: workflow.id,
          execution_id: run?.id ?? null,
          timestamp: new Date().toISOString(),
          data: { phase: phaseOf(run?.status), run_status: run?.status ?? null, snapshot: true },
        };
      },
    }, this.config.sseHeartbeatMs, this.logger);
    this.connections.add(connection);
    ws.on('close', () => this.connections.delete(connection));
    connection.start().catch((error: Error) => {
      this.logger.warn(`workflow socket could not start: ${error.message}`);
      connection.close(1011, 'could not start; reconnect');
    });
  }

  private authorizer(): UpgradeAuthorizer | undefined {
    try {
      return this.moduleRef.get<UpgradeAuthorizer>(UPGRADE_AUTHORIZER, { strict: false });
    } catch {
      return undefined;
    }
  }
}
