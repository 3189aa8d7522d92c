import { Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Database, runAfterCommit, type QueryResult, type Transaction } from './database.js';
import { lockDataFolder, type DataFolderLock, type LockOwner } from './data-folder-lock.js';
import { initDataFolder, PGLITE_START_PARAMS } from './pglite-init.js';
import { avoidWasmCallInliningCrash } from '@baton/common';

// PGlite is WebAssembly called from hot code, like Cedar: see avoidWasmCallInliningCrash.
avoidWasmCallInliningCrash();

/**
 * Embedded Postgres (PGlite, WebAssembly) for a bare machine and for tests. It serializes
 * every statement itself, so transactions never race each other. One process owns a data
 * folder: it holds `<folder>.lock` until `close()` (see data-folder-lock.ts).
 */
export class PgliteDatabase extends Database {
  readonly kind = 'pglite' as const;
  private readonly logger = new Logger('PgliteDatabase');
  /**
   * PGlite runs one statement at a time and holds its lock for a whole transaction, so a
   * plain query issued from inside a transaction callback would wait forever. Such queries
   * are routed into the open transaction instead.
   */
  private readonly current = new AsyncLocalStorage<Transaction>();

  private constructor(
    private readonly pglite: PGlite,
    private readonly lock?: DataFolderLock,
  ) {
    super();
  }

  /**
   * Opens (or creates) a database persisted in `dataDir`; `undefined` keeps it in memory.
   * Throws DataFolderLockedError when another live process has the folder open; `owner`
   * says who this opener is, for that message.
   */
  static async open(dataDir?: string, owner: LockOwner = 'process'): Promise<PgliteDatabase> {
    if (!dataDir) return PgliteDatabase.started(new PGlite({ startParams: PGLITE_START_PARAMS }));
    mkdirSync(dataDir, { recursive: true });
    const lock = await lockDataFolder(dataDir, owner);
    try {
      await initDataFolder(dataDir);
      return await PgliteDatabase.started(new PGlite(dataDir, { startParams: PGLITE_START_PARAMS }), lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private static async started(pglite: PGlite, lock?: DataFolderLock): Promise<PgliteDatabase> {
    await pglite.waitReady;
    return new PgliteDatabase(pglite, lock);
  }

  /** Starts an in-memory database from a dump made by `dump()`: much faster than migrating. */
  static async fromDump(dump: Blob): Promise<PgliteDatabase> {
    const pglite = new PGlite({ loadDataDir: dump, startParams: PGLITE_START_PARAMS });
    await pglite.waitReady;
    return new PgliteDatabase(pglite);
  }

  dump(): Promise<Blob> {
    return this.pglite.dumpDataDir('none') as Promise<Blob>;
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const tx = this.current.getStore();
    if (tx) return tx.query<R>(sql, params);
    await yieldToEventLoop();
    const result = await this.pglite.query<R>(sql, params);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }

  async exec(sql: string): Promise<void> {
    const tx = this.current.getStore();
    if (tx) return tx.exec(sql);
    await this.pglite.exec(sql);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const outer = this.current.getStore();
    if (outer) return fn(outer); // nested: join the open transaction
    await yieldToEventLoop();
    const callbacks: Array<() => void> = [];
    const result = await this.pglite.transaction(async (inner) => {
      const tx: Transaction = {
        query: async <R>(sql: string, params: unknown[] = []) => {
          await yieldToEventLoop();
          const r = await inner.query<R>(sql, params);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
        exec: async (sql: string) => {
          await inner.exec(sql);
        },
        afterCommit: (callback) => callbacks.push(callback),
      };
      return this.current.run(tx, () => fn(tx));
    });
    runAfterCommit(callbacks, (error) => this.logger.error(`after-commit callback failed: ${error}`));
    return result;
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    return this.pglite.listen(channel, onMessage);
  }

  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
    this.lock?.release();
  }
}

/**
 * PGlite runs a statement synchronously on this thread and resolves its promise as a
 * microtask, so a chain of awaited statements (a background loop, a transaction) never lets
 * the event loop reach its I/O phase: HTTP requests, /health included, wait for the whole
 * chain. Each statement first waits one turn of the event loop.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
