-- The append-only event log: every run and step transition, written in the transaction that
-- made it. `seq` is per run and gap-free: it is taken from orchestration_event_streams under
-- that row's lock, so events of one run commit in sequence order and a reader resuming after
-- seq N never misses one.
create table orchestration_event_streams (
  run_id uuid primary key,
  last_seq bigint not null default 0
);

create table orchestration_events (
  id bigint generated always as identity primary key,
  run_id uuid not null,
  seq bigint not null,
  type text not null,
  step_key text,
  data jsonb not null default '{}',
  created_at timestamptz not null default now(),
  constraint orchestration_events_run_seq_key unique (run_id, seq)
);

create index orchestration_events_created_idx on orchestration_events (created_at);
