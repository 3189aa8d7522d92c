import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';

export interface StepCounts {
  queued: number;
  running: number;
}

/**
 * Counts read at scrape time. This is the one place metrics reads another module's tables
 * (`orchestration_steps`, `human_approvals`, and the event log's consumer cursors): the gauges must be true for the whole cluster
 * at the moment of the scrape, which counters fed by this process's events cannot be.
 * Counts only, never rows.
 */
@Injectable()
export class MetricsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Queued and running steps in one statement. Two scalar subqueries rather than one
   * `filter` pass so each can use its partial index (`... where status = 'queued'`,
   * `... where status = 'running'`) instead of scanning every step ever run.
   */
  async stepCounts(): Promise<StepCounts> {
    const { rows } = await this.db.query<StepCounts>(
      `select (select count(*) from orchestration_steps where status = 'queued')::int as queued,
              (select count(*) from orchestration_steps where status = 'running')::int as running`,
    );
    return rows[0] ?? { queued: 0, running: 0 };
  }

  /**
   * Pending human approvals; 0 while the `human_approvals` table does not exist yet (a
   * statement naming a missing table fails to parse, hence the separate existence check).
   */
  async pendingApprovals(): Promise<number> {
    const { rows: exists } = await this.db.query<{ present: boolean }>(
      `select to_regclass('human_approvals') is not null as present`,
    );
    if (!exists[0]?.present) return 0;
    const { rows } = await this.db.query<{ n: number }>(
      `select count(*)::int as n from human_approvals where status = 'pending'`,
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Per durable consumer, the events committed after its cursor, counted up to 10,000 (a
   * consumer that far behind is stuck; counting on would scan the log). The log's index on
   * `(tx_id, id)` serves the range.
   */
  async consumerLag(): Promise<Array<{ name: string; lag: number }>> {
    const { rows } = await this.db.query<{ name: string; lag: number }>(
      `select c.name,
              (select count(*) from (
                 select 1 from orchestration_events e
                  where (e.tx_id, e.id) > (split_part(coalesce(c.position, '0.0'), '.', 1)::xid8, split_part(coalesce(c.position, '0.0'), '.', 2)::bigint)
                    and e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
                  limit 10000) behind)::int as lag
         from event_consumer_cursors c order by c.name`,
    );
    return rows;
  }
}
