import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';

// Dispatch rounds of every instance are serialized on this key, for the length of one
// transaction: two dispatchers reading the same cursor would write the same deliveries.
const DISPATCH_LOCK_KEY = 7_362_030;
const CURSOR = 'global';

/** The dispatcher's position in the global event feed, and the lock that makes it single. */
@Injectable()
export class DispatchCursorRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** False when another instance is dispatching right now (it will pick up our events too). */
  async tryLock(tx: Queryable): Promise<boolean> {
    const { rows } = await tx.query<{ locked: boolean }>('select pg_try_advisory_xact_lock($1::bigint) as locked', [DISPATCH_LOCK_KEY]);
    return rows[0]?.locked === true;
  }

  /**
   * Read without `for update`: only the holder of the dispatch lock writes it, and a row lock
   * would give the transaction an xid early, holding back the feed's commit horizon.
   */
  async read(tx: Queryable = this.db): Promise<string | null> {
    const { rows } = await tx.query<{ position: string | null }>(
      'select position from webhook_dispatch_cursor where name = $1::text',
      [CURSOR],
    );
    return rows[0]?.position ?? null;
  }

  async advance(position: string, tx: Queryable): Promise<void> {
    await tx.query(
      `insert into webhook_dispatch_cursor (name, position) values ($1::text, $2::text)
       on conflict (name) do update set position = excluded.position, updated_at = now()`,
      [CURSOR, position],
    );
  }
}
