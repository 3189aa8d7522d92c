import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { ApprovalVote, Decider } from './approval.types.js';

interface VoteRow {
  approval_id: string;
  decision: ApprovalVote['decision'];
  decider: Decider;
  comment: string | null;
  decided_at: Date;
}

function toVote(row: VoteRow): ApprovalVote {
  return { decision: row.decision, decidedBy: row.decider, comment: row.comment, decidedAt: row.decided_at };
}

/** approval_decisions: every person's decision on an approval (part of the approval aggregate). */
@Injectable()
export class ApprovalDecisionRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Records one decider's decision; false when this decider already decided (they count once). */
  async record(
    approvalId: string,
    vote: { decision: ApprovalVote['decision']; deciderKey: string; decidedBy: Decider; comment: string | null },
    tx: Queryable,
  ): Promise<boolean> {
    const { rowCount } = await tx.query(
      `insert into approval_decisions (approval_id, decision, decider_key, decider, comment)
       values ($1::uuid, $2::text, $3::text, $4::jsonb, $5::text)
       on conflict (approval_id, decider_key) do nothing`,
      [approvalId, vote.decision, vote.deciderKey, JSON.stringify(vote.decidedBy), vote.comment],
    );
    return rowCount > 0;
  }

  /** Takes back a decision that acted on nothing (its run ended before it was applied). */
  async remove(approvalId: string, deciderKey: string, tx: Queryable): Promise<void> {
    await tx.query(`delete from approval_decisions where approval_id = $1::uuid and decider_key = $2::text`, [approvalId, deciderKey]);
  }

  /** Approvals so far; read under the approval's row lock, so concurrent deciders count in turn. */
  async countApprovals(approvalId: string, tx: Queryable): Promise<number> {
    const { rows } = await tx.query<{ n: number }>(
      `select count(*)::int as n from approval_decisions where approval_id = $1::uuid and decision = 'approve'`,
      [approvalId],
    );
    return rows[0]?.n ?? 0;
  }

  /** The decisions on each of these approvals, oldest first. */
  async forApprovals(approvalIds: string[]): Promise<Map<string, ApprovalVote[]>> {
    const votes = new Map<string, ApprovalVote[]>();
    if (approvalIds.length === 0) return votes;
    const { rows } = await this.db.query<VoteRow>(
      `select approval_id, decision, decider, comment, decided_at from approval_decisions
        where approval_id = any($1::uuid[]) order by decided_at, id`,
      [approvalIds],
    );
    for (const row of rows) votes.set(row.approval_id, [...(votes.get(row.approval_id) ?? []), toVote(row)]);
    return votes;
  }
}
