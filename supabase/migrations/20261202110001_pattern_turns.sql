-- Multi-agent patterns (issue 9). A `type: pattern` step runs a team of agents turn by turn;
-- each turn is a row here, written before the agent is called and completed after, in the
-- transaction that appends its event. After a crash the step is claimed again, replays the
-- completed turns from these rows and never calls a completed turn again: the unique
-- (step, turn) key makes the restarted turn an update of its own row, not a second one.
create table orchestration_pattern_turns (
  id uuid not null default gen_random_uuid(),
  run_id uuid not null,
  step_id uuid not null,
  turn integer not null,
  -- The participant's name in the team (not the agent it calls).
  agent text not null,
  status text not null default 'running',
  attempt integer not null default 1,
  cache_hit boolean not null default false,
  input jsonb,
  output jsonb,
  error jsonb,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint orchestration_pattern_turns_pkey primary key (id),
  constraint orchestration_pattern_turns_step_turn_key unique (step_id, turn),
  constraint orchestration_pattern_turns_run_fkey foreign key (run_id)
    references orchestration_runs (id) on delete cascade,
  constraint orchestration_pattern_turns_step_fkey foreign key (step_id)
    references orchestration_steps (id) on delete cascade,
  constraint orchestration_pattern_turns_turn_check check (turn > 0),
  constraint orchestration_pattern_turns_status_check check (status in ('running', 'completed', 'failed'))
);

create index orchestration_pattern_turns_run_idx on orchestration_pattern_turns (run_id, step_id, turn);
