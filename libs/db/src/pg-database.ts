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
import { isConnectionError, markDatabaseUnavailable } from './database-health.js';
import { PgListener } from './pg-listener.js';
import { isStalePreparedStatement, StatementNames } from './statement-names.js';

// int8 (counts, sums) as JS numbers, like PGlite does; Baton's int8 values stay far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** While the database is unreachable, `select 1` is tried this often (doubling up to the max). */
const PROBE_MIN_MS = 250;
const PROBE_MAX_MS = 2_000;
/** A connection attempt that hangs (a network black hole) fails after this. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * node-postgres pool, plus one dedicated connection for LISTEN. It survives the server going
 * away: every connection has an error listener, a failed statement marks `health`
 * disconnected and starts a probe, and once the probe (or any statement) succeeds, LISTEN is
 * re-established and `onReconnect` handlers run their catch-up.
 */
export class PgDatabase extends Database {
  readonly kind = 'postgres' as const;
  private readonly logger = new Logger('PgDatabase');
  private readonly pool: pg.Pool;
  private readonly listener: PgListener;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  /** Undefined: every statement unnamed (BATON_PG_PREPARED=false, for a pooler that cannot). */
  private readonly names: StatementNames | undefined;

  constructor(connectionString: string, poolSize = 10, { prepared = true }: { prepared?: boolean } = {}) {
    super();
    this.names = prepared ? new StatementNames() : undefined;
    this.pool = new pg.Pool({ connectionString, max: poolSize, types, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
    // An idle client that errors (server restart) must not crash the process.
    this.pool.on('error', (error) => this.sawFailure(error));
    // Nor may one checked out for a transaction: the pool removes its own listener while a
    // client is lent out, and an 'error' event nobody listens to ends the process.
    this.pool.on('connect', (client) => client.on('error', (error) => this.sawFailure(error)));
    this.listener = new PgListener({ connectionString, types }, this.logger, {
      onLost: () => this.probe(),
      onRestored: () => this.reconnected(),
    });
    this.health.onChange((health) => {
      if (health.state !== 'connected') return;
      this.listener.reconnectNow();
      this.reconnected();
    });
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    let result: pg.QueryResult;
    try {
      result = await this.watched(() => this.send(this.pool, sql, params));
    } catch (error) {
      if (!isStalePreparedStatement(error)) throw error;
      this.names!.refuse(sql);
      result = await this.watched(() => this.pool.query(sql, params));
    }
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  /** A statement with parameters goes out prepared once it has a name (see StatementNames). */
  private send(on: pg.Pool | pg.PoolClient, sql: string, params: unknown[]): Promise<pg.QueryResult> {
    const name = params.length > 0 ? this.names?.nameFor(sql) : undefined;
    return name === undefined ? on.query(sql, params) : on.query({ name, text: sql, values: params });
  }

  async exec(sql: string): Promise<void> {
    // No parameters: the simple protocol, which allows a script of several statements.
    await this.watched(() => this.pool.query(sql));
  }

  /** Runs one pooled statement and records what it says about the connection. */
  private async watched<T>(run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.sawSuccess();
      return result;
    } catch (error) {
      this.sawFailure(error);
      throw error;
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        this.sawFailure(error);
        throw error;
      }
      const callbacks: Array<() => void> = [];
      const tx: Transaction = {
        query: async <R>(sql: string, params: unknown[] = []) => {
          try {
            const result = await this.send(client, sql, params);
            return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
          } catch (error) {
            // The transaction is aborted; it runs again below with this text unnamed.
            if (isStalePreparedStatement(error)) this.names!.refuse(sql);
            throw error;
          }
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
        this.sawSuccess();
        runAfterCommit(callbacks, (error) => this.logger.error(`after-commit callback failed: ${error}`));
        return result;
      } catch (error) {
        // A lost connection fails the transaction cleanly: nothing was committed (or, if the
        // COMMIT's answer was lost, everything was), and the broken client leaves the pool.
        const lost = isConnectionError(error);
        const rolledBack = lost ? false : await client.query('rollback').then(() => true, () => false);
        client.release(lost || !rolledBack ? (error as Error) : undefined);
        this.sawFailure(error);
        const code = (error as { code?: string }).code;
        const retryable = (code !== undefined && RETRYABLE_SQLSTATES.has(code)) || isStalePreparedStatement(error);
        if (!retryable || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
      }
    }
  }

  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    return this.listener.subscribe(channel, onMessage);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.listener.close();
    await this.pool.end();
  }

  private sawSuccess(): void {
    if (this.health.connected) return;
    const downMs = Date.now() - this.health.snapshot().since.getTime();
    if (this.health.markConnected()) this.logger.log(`database reachable again after ${downMs} ms`);
  }

  private sawFailure(error: unknown): void {
    if (!isConnectionError(error)) return;
    markDatabaseUnavailable(error);
    if (this.closed) return;
    if (this.health.markDisconnected(error)) this.logger.warn(`database unreachable: ${(error as Error).message}`);
    this.probe();
  }

  /** Tries `select 1` with backoff until the database answers (then `sawSuccess` marks it). */
  private probe(): void {
    if (this.probing || this.closed) return;
    this.probing = true;
    let delayMs = PROBE_MIN_MS;
    const tick = async (): Promise<void> => {
      if (this.closed) return void (this.probing = false);
      try {
        await this.pool.query('select 1');
        this.probing = false;
        this.sawSuccess();
        return;
      } catch (error) {
        if (!isConnectionError(error)) this.logger.warn(`database probe failed: ${(error as Error).message}`);
        else if (this.health.markDisconnected(error)) this.logger.warn(`database unreachable: ${(error as Error).message}`);
      }
      delayMs = Math.min(delayMs * 2, PROBE_MAX_MS);
      this.probeTimer = setTimeout(() => void tick(), delayMs);
      this.probeTimer.unref();
    };
    this.probeTimer = setTimeout(() => void tick(), PROBE_MIN_MS / 5);
    this.probeTimer.unref();
  }
}
