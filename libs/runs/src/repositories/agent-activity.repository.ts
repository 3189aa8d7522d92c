import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import type { StepError } from '../domain/run.types.js';

/** A step of the agent that ended an attempt with an error (failed, or retrying). */
export interface AgentFailure {
  runId: string;
  stepKey: string;
  status: string;
  attempt: number;
  error: StepError;
  at: Date;
}

/** What one agent is doing now and what went wrong lately, read from its steps. */
export interface AgentActivity {
  /** Running steps whose lease is still live: calls in flight right now. */
  inFlight: number;
  /** Running steps, live lease or not: what the dispatcher counts against the agent's slots. */
  running: number;
  /** Steps whose last attempt ended in an error since `since`, and the latest of them. */
  failureCount: number;
  failures: AgentFailure[];
}

/** Reads of orchestration_steps by agent (no writes): the agents page's health. */
@Injectable()
export class AgentActivityRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * One statement: the running counts use the partial index on running steps; failures use
   * the partial index on (agent, updated_at) of steps carrying an error (an object: a
   * completed step may hold a JSON null there). A retried step keeps its last error while
   * queued again, so a retrying call counts as a failure too.
   */
  async activity(agent: string, since: Date, limit: number): Promise<AgentActivity> {
    const { rows } = await this.db.query<{
      in_flight: number;
      running: number;
      failure_count: number;
      failures: Array<{ run_id: string; step_key: string; status: string; attempt: number; error: StepError; at: string }> | null;
    }>(
      `with running as (
         select count(*) filter (where lease_expires_at > now())::int as in_flight, count(*)::int as running
           from orchestration_steps where status = 'running' and agent = $1::text
       ), failed as (
         select run_id, step_key, status, attempt, error, updated_at
           from orchestration_steps
          where agent = $1::text and jsonb_typeof(error) = 'object' and updated_at >= $2::timestamptz
       )
       select r.in_flight, r.running,
              (select count(*)::int from failed) as failure_count,
              (select jsonb_agg(jsonb_build_object('run_id', f.run_id, 'step_key', f.step_key, 'status', f.status,
                        'attempt', f.attempt, 'error', f.error, 'at', f.updated_at) order by f.updated_at desc)
                 from (select run_id, step_key, status, attempt, error, updated_at
                         from failed order by updated_at desc limit $3::int) f) as failures
         from running r`,
      [agent, since.toISOString(), limit],
    );
    const row = rows[0]!;
    return {
      inFlight: row.in_flight,
      running: row.running,
      failureCount: row.failure_count,
      failures: (row.failures ?? []).map((f) => ({
        runId: f.run_id,
        stepKey: f.step_key,
        status: f.status,
        attempt: f.attempt,
        error: f.error,
        at: new Date(f.at),
      })),
    };
  }
}
