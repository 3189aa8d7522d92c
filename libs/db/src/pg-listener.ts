import type { Logger } from '@nestjs/common';
import pg from 'pg';

type Handler = (payload: string) => void;

export interface ListenerHooks {
  /** The connection broke (server restart, network); a reconnect is scheduled. */
  onLost(error: Error): void;
  /** Connected again after a loss and listening on every channel: NOTIFYs meanwhile were lost. */
  onRestored(): void;
}

/** Reconnect waits grow from this to RECONNECT_MAX_MS; `reconnectNow()` skips the wait. */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * The one dedicated connection that holds Baton's `LISTEN`s (a pooled connection would be
 * handed to other queries). It has an error listener for its whole life, and when it breaks
 * it reconnects with backoff and listens on every channel again.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly channels = new Map<string, Set<Handler>>();
  private lost = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RECONNECT_MIN_MS;

  constructor(
    private readonly options: pg.ClientConfig,
    private readonly logger: Logger,
    private readonly hooks: ListenerHooks,
  ) {}

  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    let handlers = this.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
      // While the connection is down, the reconnect will listen on the new channel too.
      if (!this.lost) {
        const client = await this.connected();
        await client.query(`listen ${quoteIdent(channel)}`);
      }
    }
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
    };
  }

  /** The database is back: reconnect at once instead of waiting out the backoff. */
  reconnectNow(): void {
    if (!this.lost || this.closed || this.connecting) return;
    clearTimeout(this.retryTimer);
    this.retryDelayMs = RECONNECT_MIN_MS;
    this.reconnect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connected(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.options);
    let broken = false;
    const onBroken = (error: Error) => {
      if (broken) return;
      broken = true;
      client.end().catch(() => undefined);
      if (this.client === client) this.onLost(error);
    };
    // Attached before connecting: an 'error' event without a listener ends the process.
    client.on('error', onBroken);
    client.on('end', () => onBroken(new Error('LISTEN connection ended')));
    client.on('notification', (message) => {
      for (const handler of this.channels.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`listen ${quoteIdent(channel)}`);
    } catch (error) {
      broken = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('database closed');
    }
    this.client = client;
    this.retryDelayMs = RECONNECT_MIN_MS;
    return client;
  }

  private onLost(error: Error): void {
    this.client = undefined;
    if (this.closed) return;
    this.lost = true;
    this.logger.warn(`LISTEN connection lost: ${error.message}; reconnecting`);
    this.hooks.onLost(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.reconnect(), this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, RECONNECT_MAX_MS);
  }

  private reconnect(): void {
    if (this.closed || this.client) return;
    this.connected().then(
      () => {
        if (!this.lost) return;
        this.lost = false;
        this.logger.log('LISTEN connection re-established');
        this.hooks.onRestored();
      },
      (error: Error) => {
        this.logger.warn(`LISTEN reconnect failed: ${error.message}`);
        this.scheduleReconnect();
      },
    );
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
