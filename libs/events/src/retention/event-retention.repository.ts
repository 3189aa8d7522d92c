import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { TERMINAL_RUN_EVENTS } from '../event-types.js';

/** Deletes whole logs of runs that finished long ago. */
@Injectable()
export class EventRetentionRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Prunes up to `limit` runs whose latest lifecycle event is terminal and whose last event of
   * any kind is older than `hours`: a run retried after failing, or still cascading a cancel,
   * has newer events and stays. Candidates come from the partial index on terminal events.
   * The stream row is locked (skip locked: another instance may be pruning the same run) and
   * deleted only if no append moved `last_seq` meanwhile; its events go with it.
   */
  async pruneFinishedBefore(hours: number, limit: number): Promise<{ runs: number; events: number }> {
    const { rows } = await this.db.query<{ runs: number; events: number }>(
      `with doomed as (
         select s.run_id, s.last_seq
           from orchestration_events t
           join orchestration_event_streams s on s.run_id = t.run_id
           join orchestration_events last on last.run_id = s.run_id and last.seq = s.last_seq
          where t.type = any($3::text[])
            and t.created_at < now() - $1::int * interval '1 hour'
            and last.created_at < now() - $1::int * interval '1 hour'
            and (select l.type from orchestration_events l
                  where l.run_id = s.run_id and l.type like 'run.%'
                  order by l.seq desc limit 1) = any($3::text[])
          limit $2::int
          for update of s skip locked
       ), gone as (
         delete from orchestration_event_streams s using doomed d
          where s.run_id = d.run_id and s.last_seq = d.last_seq
         returning s.run_id
       ), pruned as (
         delete from orchestration_events e using gone g where e.run_id = g.run_id returning e.id
       )
       select (select count(*) from gone)::int as runs, (select count(*) from pruned)::int as events`,
      [hours, limit, [...TERMINAL_RUN_EVENTS]],
    );
    return rows[0] ?? { runs: 0, events: 0 };
  }
}
