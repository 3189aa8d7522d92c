import { Logger } from '@nestjs/common';
import pg from 'pg';
import {
  Database,
  MAX_TRANSACTION_ATTEMPTS,
  RETRYABLE_SQLSTATES,
  runAfterCommit,
  type QueryResult,
  type Transaction,
} from './database.js';

// int8 (counts, sums) as JS numbers, like PGlite does; Baton's int8 values stay far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** node-postgres pool, plus one dedicated connection for LISTEN that reconnects by itself. */
export class PgDatabase extends Database {
  readonly kind = 'postgres' as const;
  private readonly logger = new Logger('PgDatabase');
  private readonly pool: pg.Pool;
  private listener: pg.Client | undefined;
  private connectingListener: Promise<pg.Client> | undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private closed = false;

  constructor(
    private readonly connectionString: string,
    poolSize = 10,
  ) {
    super();
    this.pool = new pg.Pool({ connectionString, max: poolSize, types });
    // An idle client that errors (server restart) must not crash the process.
    this.pool.on('error', (error) => this.logger.warn(`idle connection error: ${error.message}`));
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const result = await this.pool.query(sql, params);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const callbacks: Array<() => void> = [];
      const tx: Transaction = {
        query: async <R>(sql: string, params: unknown[] = []) => {
          const result = await client.query(sql, params);
          return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
        },
        exec: async (sql: string) => {
          await client.query(sql);
        },
        afterCommit: (callback) => callbacks.push(callback),
      };
      try {
        await client.query('begin');
        const result = await fn(tx);
        await client.query('commit');
        client.release();
        runAfterCommit(callbacks, (error) => this.logger.error(`after-commit callback failed: ${error}`));
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        client.release();
        const code = (error as { code?: string }).code;
        if (!code || !RETRYABLE_SQLSTATES.has(code) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
      }
    }
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      const client = await this.listenerClient();
      await client.query(`listen ${quoteIdent(channel)}`);
    }
    set.add(onMessage);
    return async () => {
      set.delete(onMessage);
    };
  }

  private listenerClient(): Promise<pg.Client> {
    if (this.listener) return Promise.resolve(this.listener);
    this.connectingListener ??= this.connectListener().finally(() => (this.connectingListener = undefined));
    return this.connectingListener;
  }

  private async connectListener(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.connectionString, types });
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    client.on('error', (error) => {
      this.logger.warn(`LISTEN connection lost: ${error.message}; reconnecting`);
      this.listener = undefined;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    });
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`listen ${quoteIdent(channel)}`);
    this.listener = client;
    return client;
  }

  private scheduleReconnect(delayMs = 1000): void {
    if (this.closed) return;
    setTimeout(() => {
      this.listenerClient().catch((error) => {
        this.logger.warn(`LISTEN reconnect failed: ${error.message}`);
        this.scheduleReconnect(Math.min(delayMs * 2, 30_000));
      });
    }, delayMs).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
