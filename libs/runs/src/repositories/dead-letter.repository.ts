import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@baton/db';
import type { StepError } from '../domain/run.types.js';
import type { StepStatus } from '../domain/step-status.js';

/** A step as the dead-letter listing shows it: enough to decide on a retry without opening the run. */
export interface StepAcrossRuns {
  id: string;
  runId: string;
  key: string;
  status: StepStatus;
  definitionName: string;
  owner: string;
  agent: string | null;
  capability: string | null;
  servedBy: string | null;
  attempt: number;
  error: StepError | null;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface StepListFilter {
  status: StepStatus;
  definitionName?: string;
  owner?: string;
  errorCode?: string;
  before?: { createdAt: string; id: string };
  limit: number;
}

export interface FailedRunFilter {
  definitionName?: string;
  owner?: string;
  errorCode?: string;
  createdAfter?: string;
  createdBefore?: string;
  limit: number;
}

/** Steps and runs across runs, for dead letters and retry by filter (issue 12). */
@Injectable()
export class DeadLetterRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Newest first by (updated_at, id); one join to copy the run's definition name and owner. */
  async listSteps(filter: StepListFilter): Promise<StepAcrossRuns[]> {
    const { rows } = await this.db.query<{
      id: string; run_id: string; step_key: string; status: StepStatus; definition_name: string; owner: string;
      agent: string | null; capability: string | null; served_by: string | null; attempt: number; error: StepError | null;
      updated_at: Date; finished_at: Date | null;
    }>(
      `select s.id, s.run_id, s.step_key, s.status, r.definition_name, r.owner, s.agent, s.capability, s.served_by,
              s.attempt, s.error, s.updated_at, s.finished_at
         from orchestration_steps s join orchestration_runs r on r.id = s.run_id
        where s.status = $1::text
          and ($2::text is null or r.definition_name = $2::text)
          and ($3::text is null or r.owner = $3::text)
          and ($4::text is null or s.error->>'code' = $4::text)
          and ($5::timestamptz is null or (s.updated_at, s.id) < ($5::timestamptz, $6::uuid))
        order by s.updated_at desc, s.id desc
        limit $7::int`,
      [filter.status, filter.definitionName ?? null, filter.owner ?? null, filter.errorCode ?? null, filter.before?.createdAt ?? null, filter.before?.id ?? null, filter.limit],
    );
    return rows.map((row) => ({
      id: row.id, runId: row.run_id, key: row.step_key, status: row.status, definitionName: row.definition_name, owner: row.owner,
      agent: row.agent, capability: row.capability, servedBy: row.served_by, attempt: row.attempt, error: row.error,
      updatedAt: new Date(row.updated_at), finishedAt: row.finished_at ? new Date(row.finished_at) : null,
    }));
  }

  /** Failed runs matching the filter, oldest first, with the key of the step that failed them. */
  async failedRuns(filter: FailedRunFilter): Promise<Array<{ runId: string; stepKey: string | null }>> {
    const { rows } = await this.db.query<{ id: string; step_key: string | null }>(
      `select r.id, coalesce(r.error->>'stepKey', (select s.step_key from orchestration_steps s
                where s.run_id = r.id and s.status = 'failed' order by s.position limit 1)) as step_key
         from orchestration_runs r
        where r.status = 'failed'
          and ($1::text is null or r.definition_name = $1::text)
          and ($2::text is null or r.owner = $2::text)
          and ($3::text is null or r.error->>'code' = $3::text)
          and ($4::timestamptz is null or r.created_at >= $4::timestamptz)
          and ($5::timestamptz is null or r.created_at < $5::timestamptz)
        order by r.created_at, r.id
        limit $6::int`,
      [filter.definitionName ?? null, filter.owner ?? null, filter.errorCode ?? null, filter.createdAfter ?? null, filter.createdBefore ?? null, filter.limit],
    );
    return rows.map((row) => ({ runId: row.id, stepKey: row.step_key }));
  }

  async ownerOf(runId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ owner: string }>(`select owner from orchestration_runs where id = $1::uuid`, [runId]);
    return rows[0]?.owner ?? null;
  }
}
