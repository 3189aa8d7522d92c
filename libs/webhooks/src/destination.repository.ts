import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';

/**
 * Failing destinations (`webhook_destinations`): a receiver that refuses connections, times
 * out or answers 5xx is blocked as a whole, for a window that doubles with each failed
 * window, so its backlog waits without an attempt (or a write) per delivery.
 */
@Injectable()
export class DestinationRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Records a failure. Failures inside the current window (several requests were in flight
   * when it started failing) count once; otherwise the window starts now and lasts
   * `initialMs * 2^failures`, capped at `maxMs`.
   */
  async failed(destination: string, error: string, initialMs: number, maxMs: number, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `insert into webhook_destinations as d (origin, failures, blocked_until, last_error)
       values ($1::text, 1, now() + least($4::bigint, $3::bigint) * interval '1 millisecond', $2::text)
       on conflict (origin) do update
          set failures = case when d.blocked_until > now() then d.failures else d.failures + 1 end,
              blocked_until = case when d.blocked_until > now() then d.blocked_until
                                   else now() + least($4::bigint, $3::bigint * power(2, least(d.failures, 30))::bigint) * interval '1 millisecond' end,
              last_error = $2::text, updated_at = now()`,
      [destination, error, initialMs, maxMs],
    );
  }

  /** A delivery got through: the destination is open again. */
  async recovered(destination: string, tx: Queryable = this.db): Promise<void> {
    await tx.query(`delete from webhook_destinations where origin = $1::text`, [destination]);
  }
}
