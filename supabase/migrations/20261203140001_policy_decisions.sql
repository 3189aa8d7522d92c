-- The policy decision log (issue 13): every deny, and every allow of a sensitive action
-- (managing policies, tokens, agents, deciding approvals, ...), with the policy version that
-- decided and the policies that determined it, so "who was refused what, and under which
-- rules?" can be answered after the fact. Append-only: rows are written in batches off the
-- request path and only ever deleted by the retention sweep (BATON_POLICY_DECISION_RETENTION_DAYS).
create table policy_decisions (
  id bigint generated always as identity primary key,
  principal text not null,
  action text not null,
  resource text not null,
  decision text not null,
  policy_version text not null,
  reasons jsonb not null default '[]'::jsonb,
  errors jsonb not null default '[]'::jsonb,
  at timestamptz not null default now(),
  constraint policy_decisions_decision_check check (decision in ('allow', 'deny'))
);

-- The log is read newest first, filtered by decision and action; retention deletes by age.
create index policy_decisions_at_idx on policy_decisions (at);
create index policy_decisions_action_at_idx on policy_decisions (action, at);
