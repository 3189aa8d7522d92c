-- Runs and their steps: the durable state of execution. Every transition is a guarded
-- UPDATE (`where status = ...`), so a lost race changes nothing instead of corrupting state.
create table orchestration_runs (
  id uuid primary key default gen_random_uuid(),
  definition_id uuid not null,
  -- Copied from the definition (immutable) so runs can be listed and filtered by name.
  definition_name text not null,
  definition_version text not null,
  owner text not null default '',
  status text not null default 'pending',
  input jsonb not null default '{}',
  output jsonb,
  error jsonb,
  metadata jsonb not null default '{}',
  -- Normalized execution settings (concurrency and where it came from, error handling, caching).
  execution jsonb not null,
  max_parallel integer not null,
  idempotency_key text,
  parent_run_id uuid,
  parent_step_id uuid,
  steps_total integer not null,
  -- Steps in a terminal state; the run finishes when it reaches steps_total.
  steps_done integer not null default 0,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint orchestration_runs_definition_fkey foreign key (definition_id)
    references orchestration_definitions (id),
  constraint orchestration_runs_parent_fkey foreign key (parent_run_id)
    references orchestration_runs (id),
  constraint orchestration_runs_status_check
    check (status in ('pending', 'running', 'waiting', 'paused', 'completed', 'failed', 'cancelled')),
  constraint orchestration_runs_max_parallel_check check (max_parallel > 0),
  constraint orchestration_runs_idempotency_key unique (owner, idempotency_key)
);

create index orchestration_runs_status_created_idx on orchestration_runs (status, created_at desc, id desc);
create index orchestration_runs_created_idx on orchestration_runs (created_at desc, id desc);
create index orchestration_runs_definition_idx on orchestration_runs (definition_name, created_at desc, id desc);
create index orchestration_runs_parent_idx on orchestration_runs (parent_run_id) where parent_run_id is not null;
-- One live child run per parent step: a re-executed parent step finds its child instead of
-- starting a second one.
create unique index orchestration_runs_parent_step_idx on orchestration_runs (parent_step_id, (execution->>'childAttempt'))
  where parent_step_id is not null;

create table orchestration_steps (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null,
  step_key text not null,
  position integer not null,
  type text not null default 'agent',
  agent text,
  status text not null,
  depends_on text[] not null default '{}',
  -- Reverse edges, so completing a step touches only its dependents by primary key.
  dependents text[] not null default '{}',
  deps_remaining integer not null,
  is_sink boolean not null default false,
  -- Attempts only ever count up (an operator retry extends max_attempts by the budget), so
  -- (step, attempt) names one execution for good: child runs and approvals are keyed by it.
  attempt integer not null default 0,
  max_attempts integer not null default 1,
  attempt_budget integer not null default 1,
  input jsonb,
  output jsonb,
  error jsonb,
  -- A queued step is not claimed before this (retry backoff).
  available_at timestamptz not null default now(),
  -- Why a waiting step was re-queued; such a claim continues the attempt instead of starting one.
  wake_reason text,
  lease_owner text,
  lease_expires_at timestamptz,
  -- Fencing token: bumped by every claim; a write carrying an older token is refused.
  lease_token bigint not null default 0,
  lease_recoveries integer not null default 0,
  cache_key text,
  cache_hit boolean not null default false,
  -- Cache hits in the step's execution (a for_each step can hit once per item).
  cache_hits integer not null default 0,
  cache_stored_at timestamptz,
  child_run_id uuid,
  created_at timestamptz not null default now(),
  queued_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint orchestration_steps_run_fkey foreign key (run_id)
    references orchestration_runs (id) on delete cascade,
  constraint orchestration_steps_run_step_key unique (run_id, step_key),
  constraint orchestration_steps_status_check
    check (status in ('pending', 'queued', 'running', 'waiting', 'completed', 'failed', 'skipped', 'cancelled'))
);

-- The claim query walks queued steps in availability order.
create index orchestration_steps_queue_idx on orchestration_steps (available_at, id) where status = 'queued';
-- Slot counting and lease expiry look only at running steps.
create index orchestration_steps_running_idx on orchestration_steps (lease_expires_at) where status = 'running';
create index orchestration_steps_child_run_idx on orchestration_steps (child_run_id) where child_run_id is not null;
