import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { EstimatedResources, Translation } from './domain/workflow.types.js';

/** A stored workflow: the document as written, its translation and the definition it became. */
export interface StoredWorkflow {
  id: string;
  name: string;
  version: string;
  document: unknown;
  translation: Translation;
  estimatedResources: EstimatedResources;
  definitionId: string;
  createdAt: Date;
}

const COLUMNS = 'id, name, version, document, translation, estimated_resources, definition_id, created_at';

interface WorkflowRow {
  id: string;
  name: string;
  version: string;
  document: unknown;
  translation: Translation;
  estimated_resources: EstimatedResources;
  definition_id: string;
  created_at: Date;
}

function toWorkflow(row: WorkflowRow): StoredWorkflow {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    document: row.document,
    translation: row.translation,
    estimatedResources: row.estimated_resources,
    definitionId: row.definition_id,
    createdAt: new Date(row.created_at),
  };
}

@Injectable()
export class WorkflowRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(w: Omit<StoredWorkflow, 'id' | 'createdAt'>, createdBy: string | null, q: Queryable = this.db): Promise<StoredWorkflow> {
    const { rows } = await q.query<WorkflowRow>(
      `insert into workflows (name, version, document, translation, estimated_resources, definition_id, created_by)
       values ($1::text, $2::text, $3::jsonb, $4::jsonb, $5::jsonb, $6::uuid, $7::uuid)
       returning ${COLUMNS}`,
      [w.name, w.version, JSON.stringify(w.document), JSON.stringify(w.translation), JSON.stringify(w.estimatedResources), w.definitionId, createdBy],
    );
    return toWorkflow(rows[0]!);
  }

  async find(id: string, q: Queryable = this.db): Promise<StoredWorkflow | undefined> {
    const { rows } = await q.query<WorkflowRow>(`select ${COLUMNS} from workflows where id = $1::uuid`, [id]);
    return rows[0] ? toWorkflow(rows[0]) : undefined;
  }

  /**
   * Locks the workflow's row until the transaction ends: execute takes it before counting the
   * running executions and linking a new one, so two executes of one workflow take turns.
   * False when the workflow is gone.
   */
  async lockForExecution(id: string, tx: Queryable): Promise<boolean> {
    const { rows } = await tx.query<{ id: string }>(`select id from workflows where id = $1::uuid for update`, [id]);
    return rows.length > 0;
  }

  async addExecution(workflowId: string, runId: string, q: Queryable = this.db): Promise<void> {
    await q.query(
      `insert into workflow_executions (workflow_id, run_id) values ($1::uuid, $2::uuid) on conflict on constraint workflow_executions_pkey do nothing`,
      [workflowId, runId],
    );
  }

  /** The run of the latest execution, or undefined before the first. */
  async latestRunId(workflowId: string, q: Queryable = this.db): Promise<string | undefined> {
    const { rows } = await q.query<{ run_id: string }>(
      `select run_id from workflow_executions where workflow_id = $1::uuid order by created_at desc, run_id desc limit 1`,
      [workflowId],
    );
    return rows[0]?.run_id;
  }

  /** Which of these runs are executions of a workflow: run id → workflow id. */
  async workflowsOfRuns(runIds: string[], q: Queryable = this.db): Promise<Map<string, string>> {
    if (runIds.length === 0) return new Map();
    const { rows } = await q.query<{ run_id: string; workflow_id: string }>(
      `select run_id, workflow_id from workflow_executions where run_id = any($1::uuid[])`,
      [runIds],
    );
    return new Map(rows.map((r) => [r.run_id, r.workflow_id]));
  }

  /** The runs of executions not yet seen finished: a superset of the open ones, small whatever the history. */
  async unfinishedRunIds(workflowId: string, q: Queryable = this.db): Promise<string[]> {
    const { rows } = await q.query<{ run_id: string }>(
      `select run_id from workflow_executions where workflow_id = $1::uuid and finished_at is null`,
      [workflowId],
    );
    return rows.map((r) => r.run_id);
  }

  /** Records that these executions' runs ended, so the next count skips them. */
  async markFinished(runIds: string[], q: Queryable = this.db): Promise<void> {
    if (runIds.length === 0) return;
    await q.query(`update workflow_executions set finished_at = now() where run_id = any($1::uuid[]) and finished_at is null`, [runIds]);
  }

  /** Every execution's run of a workflow. */
  async executionRunIds(workflowId: string, q: Queryable = this.db): Promise<string[]> {
    const { rows } = await q.query<{ run_id: string }>(`select run_id from workflow_executions where workflow_id = $1::uuid`, [workflowId]);
    return rows.map((r) => r.run_id);
  }
}
