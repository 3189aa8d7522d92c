import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { BatonConfig, BatonError, BrowserRequestPolicy, boundOwnerOf, socketPathsOf } from '@baton/common';
import { EventStreamService } from '../streams/event-stream.service.js';
import { EventSocketConnection } from './event-socket.connection.js';

/** Where clients connect: `ws://<host>/api/v1/ws`. */
export const EVENT_SOCKET_PATH = '/api/v1/ws';

/**
 * Upgrades bypass Nest's guards. A provider registered under this token anywhere in the app
 * (identity: `{ provide: UPGRADE_AUTHORIZER, useExisting: AccessService }`) is asked before a
 * socket is accepted; it throws a BatonError (`unauthorized`/`forbidden`) to refuse. Looked up
 * by token so this floor-2 library never imports the identity library.
 */
export const UPGRADE_AUTHORIZER = 'baton:upgrade-authorizer';

export interface UpgradeAuthorizer {
  authorize(request: IncomingMessage): Promise<unknown>;
}

const REFUSAL_STATUS: Record<string, string> = { unauthorized: '401 Unauthorized', forbidden: '403 Forbidden' };

/**
 * The WebSocket door to the event log, on the API's own HTTP server. A plain `ws` server
 * attached to the upgrade event (rather than Nest's gateway adapter) keeps it independent
 * of the platform adapter and of ESM quirks; the protocol lives in EventSocketConnection.
 */
@Injectable()
export class EventSocketServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EventSocket');
  private wss: WebSocketServer | undefined;
  private server: Server | undefined;
  private unclaim: (() => void) | undefined;
  private readonly connections = new Set<EventSocketConnection>();
  /** Upgrades skip Express middleware, so the Origin/Host guard is asked here too. */
  private readonly browserPolicy: BrowserRequestPolicy;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(EventStreamService) private readonly streams: EventStreamService,
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {
    this.browserPolicy = new BrowserRequestPolicy({ listenHost: config.host, allowedOrigins: config.allowedOrigins, allowedHosts: config.allowedHosts });
  }

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!this.server) return; // an application context without HTTP (CLI, some tests)
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.unclaim = socketPathsOf(this.server).claim((path) => path === EVENT_SOCKET_PATH);
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
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== EVENT_SOCKET_PATH || !this.wss) {
      // Leave other socket servers' paths to them; refuse what none claims instead of hanging.
      if (!this.server || !socketPathsOf(this.server).isClaimed(path)) socket.destroy();
      return;
    }
    void this.accept(request, socket, head);
  };

  private async accept(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy()); // a client gone mid-handshake must not crash us
    let principal: unknown;
    try {
      // A page on another site may open a WebSocket to us (browsers do not apply CORS to it).
      const refusal = this.browserPolicy.refusal(request.headers);
      if (refusal) throw new BatonError('forbidden', refusal);
      principal = await this.authorizer()?.authorize(request);
    } catch (error) {
      const status = (error instanceof BatonError && REFUSAL_STATUS[error.kind]) || '500 Internal Server Error';
      const extra = status.startsWith('401') ? 'WWW-Authenticate: Bearer realm="baton"\r\n' : '';
      socket.end(`HTTP/1.1 ${status}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    if (!this.wss) return void socket.destroy(); // shut down while authorizing
    this.wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      // Tenancy: a socket of a bound token subscribes to its owner's runs only.
      const bound = boundOwnerOf({ principal });
      const connection = new EventSocketConnection(ws, this.streams, this.config.sseHeartbeatMs, this.logger, bound);
      this.connections.add(connection);
      ws.on('close', () => this.connections.delete(connection));
    });
  }

  private authorizer(): UpgradeAuthorizer | undefined {
    try {
      return this.moduleRef.get<UpgradeAuthorizer>(UPGRADE_AUTHORIZER, { strict: false });
    } catch {
      return undefined; // no identity module wired: same as HTTP with auth off
    }
  }
}
