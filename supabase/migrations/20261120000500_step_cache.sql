-- Step outputs shared across instances, keyed by SHA-256 of the canonical step identity and
-- rendered input. Expired rows are ignored on read and pruned by the sweeper.
create table orchestration_step_cache (
  cache_key text primary key,
  output jsonb not null,
  definition_id uuid not null,
  step_key text not null,
  hit_count integer not null default 0,
  stored_at timestamptz not null default now(),
  expires_at timestamptz not null
);

create index orchestration_step_cache_expires_idx on orchestration_step_cache (expires_at);
