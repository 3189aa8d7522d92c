import { Inject, Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@baton/db';
import type { DecisionFilter, LoggedDecision, NewDecision } from './policy-decision.types.js';

interface DecisionRow {
  id: string;
  principal: string;
  action: string;
  resource: string;
  decision: 'allow' | 'deny';
  policy_version: string;
  reasons: string[];
  errors: string[];
  at: Date;
}

function toDecision(row: DecisionRow): LoggedDecision {
  return {
    id: Number(row.id),
    principal: row.principal,
    action: row.action,
    resource: row.resource,
    decision: row.decision,
    policyVersion: row.policy_version,
    reasons: row.reasons,
    errors: row.errors,
    at: new Date(row.at),
  };
}

/** The append-only `policy_decisions` table. */
@Injectable()
export class PolicyDecisionRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** One statement for a whole batch: `unnest` of parallel arrays. */
  async insertMany(decisions: NewDecision[], tx: Queryable = this.db): Promise<void> {
    if (decisions.length === 0) return;
    await tx.query(
      `insert into policy_decisions (principal, action, resource, decision, policy_version, reasons, errors, at)
       select d.principal, d.action, d.resource, d.decision, d.policy_version, d.reasons::jsonb, d.errors::jsonb, d.at
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
           as d (principal, action, resource, decision, policy_version, reasons, errors, at)`,
      [
        decisions.map((d) => d.principal),
        decisions.map((d) => d.action),
        decisions.map((d) => d.resource),
        decisions.map((d) => d.decision),
        decisions.map((d) => d.policyVersion),
        decisions.map((d) => JSON.stringify(d.reasons)),
        decisions.map((d) => JSON.stringify(d.errors)),
        decisions.map((d) => d.at.toISOString()),
      ],
    );
  }

  /** Newest first. */
  async list(filter: DecisionFilter, tx: Queryable = this.db): Promise<LoggedDecision[]> {
    const { rows } = await tx.query<DecisionRow>(
      `select id, principal, action, resource, decision, policy_version, reasons, errors, at
         from policy_decisions
        where ($1::text is null or decision = $1::text)
          and ($2::text is null or action = $2::text)
          and ($3::text is null or principal = $3::text)
        order by id desc
        limit $4::int`,
      [filter.decision ?? null, filter.action ?? null, filter.principal ?? null, filter.limit],
    );
    return rows.map(toDecision);
  }

  /** Retention: deletes rows older than `days`; returns how many. */
  async prune(days: number, tx: Queryable = this.db): Promise<number> {
    const { rowCount } = await tx.query(`delete from policy_decisions where at < now() - make_interval(days => $1::int)`, [days]);
    return rowCount ?? 0;
  }
}
