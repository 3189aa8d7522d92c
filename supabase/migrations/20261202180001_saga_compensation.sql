-- Saga compensation (issue 12): a run whose failure is rolled back passes through
-- `compensating`, and ends with `compensation` = completed | partial. Each compensation of a
-- completed step is a durable row, claimed under a lease like a step, so a crash during a
-- rollback resumes it and no compensation completes twice (every completion is fenced by
-- `status = 'running' and lease_token = $n`).
alter table orchestration_runs drop constraint orchestration_runs_status_check;
alter table orchestration_runs add constraint orchestration_runs_status_check
  check (status in ('pending', 'running', 'waiting', 'paused', 'compensating', 'completed', 'failed', 'cancelled'));
alter table orchestration_runs add column compensation text;
alter table orchestration_runs add constraint orchestration_runs_compensation_check
  check (compensation is null or compensation in ('completed', 'partial'));

create table orchestration_compensations (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null,
  step_id uuid not null,
  step_key text not null,
  status text not null default 'pending',
  -- Keys of the compensations that must finish before this one may start (the step's
  -- transitive dependents that have one): reverse dependency order.
  after_keys text[] not null default '{}',
  -- The step's `compensate` block and what its template sees.
  spec jsonb not null,
  context jsonb not null,
  -- How the run ends once every compensation has finished.
  run_outcome text not null,
  attempt int not null default 0,
  max_attempts int not null,
  available_at timestamptz not null default now(),
  lease_owner text,
  lease_expires_at timestamptz,
  lease_token bigint not null default 0,
  input jsonb,
  output jsonb,
  error jsonb,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  constraint orchestration_compensations_run_fk foreign key (run_id) references orchestration_runs (id) on delete cascade,
  constraint orchestration_compensations_step_fk foreign key (step_id) references orchestration_steps (id) on delete cascade,
  constraint orchestration_compensations_step_key unique (run_id, step_key),
  constraint orchestration_compensations_status_check check (status in ('pending', 'running', 'completed', 'failed')),
  constraint orchestration_compensations_outcome_check check (run_outcome in ('failed', 'cancelled'))
);

create index orchestration_compensations_open_idx on orchestration_compensations (available_at, run_id)
  where status in ('pending', 'running');
