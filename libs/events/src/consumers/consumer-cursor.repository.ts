import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';

// First key of the two-key advisory lock that makes each consumer single across instances
// (the second is the hash of its name), for the length of one round's transaction.
const CONSUMER_LOCK_SPACE = 7_362_040;

/** event_consumer_cursors: each durable consumer's position in the global feed. */
@Injectable()
export class ConsumerCursorRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** False when another instance is running a round of this consumer right now. */
  async tryLock(name: string, tx: Queryable): Promise<boolean> {
    const { rows } = await tx.query<{ locked: boolean }>(
      'select pg_try_advisory_xact_lock($1::int, hashtext($2::text)) as locked',
      [CONSUMER_LOCK_SPACE, name],
    );
    return rows[0]?.locked === true;
  }

  /** Null before the first round: the consumer starts at the beginning of the log. */
  async read(name: string, tx: Queryable = this.db): Promise<string | null> {
    const { rows } = await tx.query<{ position: string | null }>(
      'select position from event_consumer_cursors where name = $1::text',
      [name],
    );
    return rows[0]?.position ?? null;
  }

  async advance(name: string, position: string, tx: Queryable): Promise<void> {
    await tx.query(
      `insert into event_consumer_cursors (name, position) values ($1::text, $2::text)
       on conflict (name) do update set position = excluded.position, updated_at = now()`,
      [name, position],
    );
  }
}
