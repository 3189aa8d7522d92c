import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { Approval, ApprovalFilter, ApprovalKind, ApprovalStatus, Decider, NewApproval } from './approval.types.js';
import { APPROVAL_MOVES, OPEN_APPROVAL_STATUSES } from './approval-status.js';

const COLUMNS = `id, run_id, owner, step_id, step_key, attempt, kind, round, status, prompt, payload, payload_schema, allow_edit,
  on_timeout, expires_at, decision, comment, decided_payload, decided_by, decided_at, created_at, approvers, self_approval,
  min_approvals`;

interface ApprovalRow {
  id: string;
  run_id: string;
  owner: string;
  step_id: string;
  step_key: string;
  attempt: number;
  kind: ApprovalKind;
  round: number;
  status: ApprovalStatus;
  prompt: string | null;
  payload: unknown;
  payload_schema: Record<string, unknown> | null;
  allow_edit: boolean;
  on_timeout: Approval['onTimeout'];
  expires_at: Date | null;
  decision: Approval['decision'];
  comment: string | null;
  decided_payload: unknown;
  decided_by: Decider | null;
  decided_at: Date | null;
  created_at: Date;
  approvers: Approval['approvers'];
  self_approval: boolean;
  min_approvals: number;
}

function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    runId: row.run_id,
    owner: row.owner,
    stepId: row.step_id,
    stepKey: row.step_key,
    attempt: row.attempt,
    kind: row.kind,
    round: row.round,
    status: row.status,
    prompt: row.prompt,
    payload: row.payload,
    schema: row.payload_schema,
    allowEdit: row.allow_edit,
    onTimeout: row.on_timeout,
    expiresAt: row.expires_at,
    decision: row.decision,
    comment: row.comment,
    decidedPayload: row.decided_payload,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    createdAt: row.created_at,
    approvers: row.approvers,
    selfApproval: row.self_approval,
    minApprovals: row.min_approvals,
  };
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** human_approvals: one statement per method. */
@Injectable()
export class ApprovalRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Inserts the approval for a step attempt, or returns the one already there (re-claimed step). */
  async insertOrGet(approval: NewApproval, tx: Queryable): Promise<{ approval: Approval; created: boolean }> {
    const inserted = await tx.query<ApprovalRow>(
      `insert into human_approvals (run_id, step_id, step_key, attempt, kind, round, prompt, payload, payload_schema,
         allow_edit, on_timeout, expires_at, approvers, self_approval, min_approvals, owner)
       values ($1::uuid, $2::uuid, $3::text, $4::int, $5::text, $12::int, $6::text, $7::jsonb, $8::jsonb, $9::boolean,
         $10::text, case when $11::int is null then null else now() + ($11::int * interval '1 second') end,
         $13::jsonb, $14::boolean, $15::int, $16::text)
       on conflict (step_id, attempt, kind, round) do nothing
       returning ${COLUMNS}`,
      [
        approval.runId,
        approval.stepId,
        approval.stepKey,
        approval.attempt,
        approval.kind,
        approval.prompt,
        json(approval.payload ?? null),
        json(approval.schema),
        approval.allowEdit,
        approval.onTimeout,
        approval.timeoutSeconds,
        approval.round ?? 0,
        json(approval.approvers ?? null),
        approval.selfApproval ?? true,
        approval.minApprovals ?? 1,
        approval.owner,
      ],
    );
    if (inserted.rows[0]) return { approval: toApproval(inserted.rows[0]), created: true };
    const existing = await this.forStep(approval.stepId, approval.attempt, approval.kind, tx, approval.round ?? 0);
    return { approval: existing!, created: false };
  }

  /** The approval of a step attempt: the given round, or the latest one when none is given. */
  async forStep(stepId: string, attempt: number, kind: ApprovalKind, tx: Queryable = this.db, round?: number): Promise<Approval | null> {
    const { rows } = await tx.query<ApprovalRow>(
      `select ${COLUMNS} from human_approvals
        where step_id = $1::uuid and attempt = $2::int and kind = $3::text and ($4::int is null or round = $4::int)
        order by round desc limit 1`,
      [stepId, attempt, kind, round ?? null],
    );
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async findById(id: string, tx: Queryable = this.db): Promise<Approval | null> {
    const { rows } = await tx.query<ApprovalRow>(`select ${COLUMNS} from human_approvals where id = $1::uuid`, [id]);
    return rows[0] ? toApproval(rows[0]) : null;
  }

  /** `owner` (tenancy): only that owner's approvals; undefined: every owner's. */
  async list(filter: ApprovalFilter): Promise<Approval[]> {
    const { rows } = await this.db.query<ApprovalRow>(
      `select ${COLUMNS} from human_approvals
        where ($1::text is null or status = $1::text) and ($2::uuid is null or run_id = $2::uuid)
          and ($6::text is null or owner = $6::text)
          and ($3::timestamptz is null or (created_at, id) > ($3::timestamptz, $4::uuid))
        order by created_at, id limit $5::int`,
      [filter.status ?? null, filter.runId ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit, filter.owner ?? null],
    );
    return rows.map(toApproval);
  }

  /** Locks an approval that is still open, for a decision in the caller's transaction; null otherwise. */
  async lockOpen(id: string, tx: Queryable): Promise<Approval | null> {
    const { rows } = await tx.query<ApprovalRow>(
      `select ${COLUMNS} from human_approvals where id = $1::uuid and status = any($2::text[]) for update`,
      [id, OPEN_APPROVAL_STATUSES],
    );
    return rows[0] ? toApproval(rows[0]) : null;
  }

  /** pending → decided; null when it was already decided (the second decision loses). */
  async decide(
    id: string,
    status: 'approved' | 'rejected' | 'expired',
    fields: { decision: Approval['decision']; comment: string | null; payload: unknown; decidedBy: Decider },
    tx: Queryable,
  ): Promise<Approval | null> {
    const { rows } = await tx.query<ApprovalRow>(
      `update human_approvals
          set status = $2::text, decision = $3::text, comment = $4::text, decided_payload = $5::jsonb,
              decided_by = $6::jsonb, decided_at = now()
        where id = $1::uuid and status = any($7::text[])
        returning ${COLUMNS}`,
      [id, status, fields.decision, fields.comment, json(fields.payload ?? null), json(fields.decidedBy), APPROVAL_MOVES.decide.from],
    );
    return rows[0] ? toApproval(rows[0]) : null;
  }

  /** Pending approvals past their deadline, locked for the caller's transaction. */
  async lockExpired(limit: number, tx: Queryable): Promise<Approval[]> {
    const { rows } = await tx.query<ApprovalRow>(
      `select ${COLUMNS} from human_approvals
        where status = any($2::text[]) and expires_at <= now()
        order by expires_at limit $1::int for update skip locked`,
      [limit, OPEN_APPROVAL_STATUSES],
    );
    return rows.map(toApproval);
  }

  /** pending → cancelled for every open approval of a run (the run ended without them). */
  async cancelPendingForRun(runId: string, tx: Queryable = this.db): Promise<number> {
    const { rowCount } = await tx.query(
      `update human_approvals set status = 'cancelled', decided_at = now()
        where run_id = $1::uuid and status = any($2::text[])`,
      [runId, APPROVAL_MOVES.cancel.from],
    );
    return rowCount;
  }

  /** pending → cancelled for one approval whose step is no longer waiting. */
  async cancel(id: string, tx: Queryable): Promise<boolean> {
    const { rowCount } = await tx.query(
      `update human_approvals set status = 'cancelled', decided_at = now()
        where id = $1::uuid and status = any($2::text[])`,
      [id, APPROVAL_MOVES.cancel.from],
    );
    return rowCount > 0;
  }

  async countPending(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(`select count(*)::int as n from human_approvals where status = 'pending'`);
    return rows[0]?.n ?? 0;
  }
}
