-- Issue 13 ("People"): a checkpoint may name who decides it (approvers: groups and users),
-- forbid the run's submitter from approving it (self_approval: false) and need several
-- approvals (min_approvals: a quorum; one reject rejects). Each person's decision is a row of
-- approval_decisions, so a quorum is counted in the database and one person counts once.
-- The run records the person who submitted it (an OIDC subject: not a token uuid).
alter table human_approvals add column approvers jsonb;
alter table human_approvals add column self_approval boolean not null default true;
alter table human_approvals add column min_approvals integer not null default 1;
alter table human_approvals add constraint human_approvals_min_approvals_check check (min_approvals between 1 and 100);

alter table orchestration_runs add column submitted_by_person text;

create table approval_decisions (
  id uuid not null default gen_random_uuid(),
  approval_id uuid not null,
  decision text not null,
  -- `token:<id>`, `person:<subject>` or `anonymous:<uuid>`: who counts once toward the quorum.
  decider_key text not null,
  decider jsonb not null,
  comment text,
  decided_at timestamptz not null default now(),
  constraint approval_decisions_pkey primary key (id),
  constraint approval_decisions_approval_fkey foreign key (approval_id) references human_approvals (id) on delete cascade,
  constraint approval_decisions_decision_check check (decision in ('approve', 'reject')),
  constraint approval_decisions_decider_key unique (approval_id, decider_key)
);
