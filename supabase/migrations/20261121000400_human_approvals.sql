-- Human checkpoints: one row per decision a person must make, linked to the step attempt
-- that waits for it. A decision is a guarded UPDATE (`where status = 'pending'`), so a
-- second decision finds nothing to change. Deadlines live here, so they fire even after
-- every process that knew about them has restarted.
create table human_approvals (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null,
  step_id uuid not null,
  step_key text not null,
  attempt integer not null,
  -- `checkpoint`: a step of type checkpoint; `failure`: on_step_failure.notify_human.
  kind text not null default 'checkpoint',
  status text not null default 'pending',
  prompt text,
  payload jsonb,
  payload_schema jsonb,
  allow_edit boolean not null default false,
  on_timeout text not null default 'fail',
  expires_at timestamptz,
  decision text,
  comment text,
  decided_payload jsonb,
  decided_by jsonb,
  decided_at timestamptz,
  created_at timestamptz not null default now(),
  constraint human_approvals_run_fkey foreign key (run_id) references orchestration_runs (id) on delete cascade,
  constraint human_approvals_kind_check check (kind in ('checkpoint', 'failure')),
  constraint human_approvals_status_check check (status in ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  constraint human_approvals_on_timeout_check check (on_timeout in ('reject', 'approve', 'fail')),
  constraint human_approvals_step_attempt_key unique (step_id, attempt, kind)
);

create index human_approvals_pending_idx on human_approvals (created_at, id) where status = 'pending';
create index human_approvals_expiry_idx on human_approvals (expires_at) where status = 'pending' and expires_at is not null;
create index human_approvals_run_idx on human_approvals (run_id);
