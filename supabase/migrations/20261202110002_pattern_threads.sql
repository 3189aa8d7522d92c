-- Swarm threads (issue 9): the agent that spoke last and the conversation so far, per
-- (owner, definition, step, thread key), so the next run of the same thread resumes with
-- that agent. `updated_by_step` and the `previous_*` columns keep what the thread held before
-- the step that last wrote it: that step, claimed again after a crash between writing the
-- thread and completing, replays from the same starting point instead of its own result.
create table orchestration_pattern_threads (
  owner text not null,
  definition_name text not null,
  step_key text not null,
  thread text not null,
  active_agent text,
  history jsonb not null default '[]'::jsonb,
  updated_by_step uuid,
  previous_agent text,
  previous_history jsonb not null default '[]'::jsonb,
  updated_at timestamptz not null default now(),
  constraint orchestration_pattern_threads_pkey primary key (owner, definition_name, step_key, thread)
);
