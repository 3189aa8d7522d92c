import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { Database, type Transaction } from '@baton/db';

/** NOTIFY channel: a comma-separated list of recipients with new mail, or `*` for "everyone". */
export const INBOX_CHANNEL = 'baton_messages';
// NOTIFY payloads are capped at 8000 bytes; a longer recipient list wakes every waiter instead.
const MAX_PAYLOAD = 7_000;

/**
 * Wakes long-polling inbox pulls when mail arrives, on this instance or another: the sender's
 * transaction calls `pg_notify` (delivered on commit), every instance LISTENs. A wake-up is
 * only a hint; pulls still re-check the table and poll as a safety net, so a lost NOTIFY
 * (a database reconnect) delays a message, never loses it.
 */
@Injectable()
export class InboxSignals implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('InboxSignals');
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly listeners = new Set<(recipients: string[] | '*') => void>();
  private unlisten: (() => Promise<void>) | undefined;
  /** Set on shutdown: long polls answer at once instead of holding the server open. */
  closed = false;

  constructor(@Inject(Database) private readonly db: Database) {}

  async onApplicationBootstrap(): Promise<void> {
    // PGlite lives in this one process: senders wake waiters after commit directly. A second
    // LISTEN on PGlite was seen to starve the webhook worker's (outbound-egress.int-spec).
    if (this.db.kind === 'pglite') return;
    try {
      this.unlisten = await this.db.listen(INBOX_CHANNEL, (payload) => this.wake(payload));
    } catch (error) {
      this.logger.warn(`LISTEN ${INBOX_CHANNEL} failed, inbox pulls fall back to polling: ${(error as Error).message}`);
    }
  }

  /** First of the shutdown hooks, before the HTTP server closes (it waits for open requests). */
  onModuleDestroy(): void {
    this.closed = true;
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unlisten?.().catch(() => undefined);
  }

  /** Inside the sending transaction: Postgres delivers it on commit, never on rollback. */
  async notify(recipients: string[], tx: Transaction): Promise<void> {
    if (recipients.length === 0) return;
    const joined = recipients.join(',');
    if (this.db.kind === 'pglite') {
      tx.afterCommit(() => this.wake(joined));
      return;
    }
    await tx.query(`select pg_notify($1::text, $2::text)`, [INBOX_CHANNEL, joined.length > MAX_PAYLOAD ? '*' : joined]);
  }

  /** Resolves when `recipient` may have mail, or after `ms` (whichever comes first). */
  waitFor(recipient: string, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(recipient) ?? new Set();
      this.waiters.set(recipient, set);
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(recipient) === set) this.waiters.delete(recipient);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
      set.add(done);
    });
  }

  /** Wakes this instance's listeners and waiters for `recipient` (no NOTIFY: nothing was sent). */
  poke(recipient: string): void {
    this.wake(recipient);
  }

  /** Calls `listener` on every wake-up (the push worker, the SSE inbox streams). */
  onMail(listener: (recipients: string[] | '*') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private wake(payload: string): void {
    // Waiting pulls first: on PGlite (one connection) their queries then go before the push worker's.
    const names = payload === '*' ? [...this.waiters.keys()] : payload.split(',');
    for (const name of names) for (const wake of [...(this.waiters.get(name) ?? [])]) wake();
    for (const listener of this.listeners) listener(payload === '*' ? '*' : names);
  }
}
