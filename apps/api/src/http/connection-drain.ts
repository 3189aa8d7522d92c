import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { BatonConfig } from '@baton/common';

/**
 * Shutdown must not wait on a client. Node's `server.close()` waits for every open request,
 * and a dashboard's stream reconnects the moment its old one ends, so one browser left
 * open could hold a stopping instance forever. Before Nest closes the server, idle
 * keep-alive sockets go at once; whatever is still open when the shutdown grace is spent
 * is cut (streams have ended themselves by then; a client reconnects to another instance).
 */
@Injectable()
export class ConnectionDrain implements BeforeApplicationShutdown {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly config: BatonConfig,
  ) {}

  beforeApplicationShutdown(): void {
    const server = this.adapter.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server || typeof server.closeAllConnections !== 'function') return;
    server.closeIdleConnections();
    const cut = Math.min(5_000, Math.max(100, this.config.shutdownGraceMs / 2));
    setTimeout(() => server.closeAllConnections(), cut).unref();
  }
}
