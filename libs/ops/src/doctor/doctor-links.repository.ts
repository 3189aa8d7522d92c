import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import { APPROVAL_MOVES, OPEN_APPROVAL_STATUSES } from '@baton/approvals';
import { EVENT_WAIT_MOVES, OPEN_EVENT_WAIT_STATUSES } from '@baton/messaging';
import { TERMINAL_RUN_STATUSES } from '@baton/runs';
import { REMEDIES, type Finding, type FindingKind } from './doctor-finding.js';

interface LinkRow {
  run_id: string | null;
  step_id?: string | null;
  step_key: string | null;
  detail: string;
  approval_id?: string;
  parent_run_id?: string;
  event_id?: string;
  schedule_id?: string;
}

/**
 * The doctor's checks on what hangs off runs: approvals, child runs, event waits (messaging)
 * and schedules (scheduler). Like `DoctorRepository`, it reads those tables directly, looking
 * for states their owners' code believes impossible; each repair is one guarded statement.
 */
@Injectable()
export class DoctorLinksRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Pending approvals of finished runs: nobody will act on their decision. */
  openApprovalsOfFinishedRuns(): Promise<Finding[]> {
    return this.find(
      'open_approval_of_finished_run',
      `select a.run_id, a.step_id, a.step_key, a.id::text as approval_id,
              'approval ' || a.id || ' is still pending, but its run is ' || r.status as detail
         from human_approvals a
         join orchestration_runs r on r.id = a.run_id and r.status = any($1::text[])
        where a.status = any($2::text[])
        limit 500`,
      [TERMINAL_RUN_STATUSES, OPEN_APPROVAL_STATUSES],
    );
  }

  /** Unfinished child runs whose parent run finished: nothing will collect them. */
  childrenOfFinishedParents(): Promise<Finding[]> {
    return this.find(
      'child_of_finished_parent',
      `select c.id as run_id, null::text as step_key, p.id::text as parent_run_id,
              'child run is ' || c.status || ', but its parent run ' || p.id || ' is ' || p.status as detail
         from orchestration_runs c
         join orchestration_runs p on p.id = c.parent_run_id and p.status = any($1::text[])
        where not c.status = any($1::text[])
        limit 500`,
      [TERMINAL_RUN_STATUSES],
    );
  }

  /**
   * Open event waits for which a matching event is already stored (since the wait's `since`,
   * older than `graceSeconds` so an event still being recorded is not counted).
   */
  waitsForArrivedEvents(graceSeconds: number): Promise<Finding[]> {
    return this.find(
      'wait_for_arrived_event',
      `select w.run_id, w.step_key, e.id::text as event_id,
              'waiting for ' || w.event_name || ' since ' || w.since::text || ', but event ' || e.id || ' arrived at ' || e.created_at::text as detail
         from event_waits w
         cross join lateral (
           select x.id, x.created_at from external_events x
            where x.name = w.event_name and x.created_at >= w.since
              and (w.match = '{}'::jsonb or x.data @> w.match)
              and x.created_at < now() - ($1::int * interval '1 second')
            order by x.position limit 1) e
        where w.status = any($2::text[])
        limit 500`,
      [graceSeconds, OPEN_EVENT_WAIT_STATUSES],
    );
  }

  /** Unpaused schedules due more than `graceSeconds` ago: the scheduler's timer did not fire them. */
  overdueSchedules(graceSeconds: number): Promise<Finding[]> {
    return this.find(
      'overdue_schedule',
      `select null::uuid as run_id, null::text as step_key, s.id::text as schedule_id,
              'schedule ' || s.name || ' was due at ' || s.next_due_at::text || ' and has not fired' as detail
         from schedules s
        where not s.paused and s.next_due_at < now() - ($1::int * interval '1 second')
        limit 500`,
      [graceSeconds],
    );
  }

  // Repairs: one guarded statement each; false when the state moved on.

  /** The approval's `cancel` move (pending → cancelled), only while its run has ended. */
  async cancelApproval(approvalId: string): Promise<boolean> {
    return this.changed(
      `update human_approvals set status = 'cancelled', decided_at = now()
        where id = $1::uuid and status = any($2::text[])
          and exists (select 1 from orchestration_runs r where r.id = run_id and r.status = any($3::text[]))`,
      [approvalId, APPROVAL_MOVES.cancel.from, TERMINAL_RUN_STATUSES],
    );
  }

  /** The wait's `match` move, unless something matched (or timed) it out meanwhile. */
  async matchWait(runId: string, stepKey: string, eventId: string): Promise<boolean> {
    return this.changed(
      `update event_waits set status = 'matched', event_id = $3::uuid, matched_at = now()
        where run_id = $1::uuid and step_key = $2::text and status = any($4::text[])`,
      [runId, stepKey, eventId, EVENT_WAIT_MOVES.match.from],
    );
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.db.query(`select pg_notify($1::text, $2::text)`, [channel, payload]);
  }

  private async find(kind: FindingKind, sql: string, params: unknown[] = []): Promise<Finding[]> {
    const { rows } = await this.db.query<LinkRow>(sql, params);
    return rows.map((row) => ({
      kind,
      runId: row.run_id,
      stepId: row.step_id ?? null,
      stepKey: row.step_key,
      explanation: row.detail,
      remedy: REMEDIES[kind],
      ...(row.approval_id ? { approvalId: row.approval_id } : {}),
      ...(row.parent_run_id ? { parentRunId: row.parent_run_id } : {}),
      ...(row.event_id ? { eventId: row.event_id } : {}),
      ...(row.schedule_id ? { scheduleId: row.schedule_id } : {}),
    }));
  }

  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return (await this.db.query(sql, params)).rowCount > 0;
  }
}
