-- Sessions (issue 13): `POST /api/v1/sessions` starts a run of a definition under an id the
-- caller may choose, with metadata of its own. The id is claimed here before the run exists,
-- so two requests with one id start one run; `request_hash` (SHA-256 of the canonical request)
-- tells a repeat (200 with the session) from a different request (409). `run_id` is null only
-- between the claim and the run's creation; a retry finishes what a crash left.
create table orchestration_sessions (
  id text not null,
  owner text not null default '',
  run_id uuid,
  metadata jsonb not null default '{}',
  request_hash text not null,
  submitted_by uuid,
  created_at timestamptz not null default now(),
  constraint orchestration_sessions_pkey primary key (id),
  constraint orchestration_sessions_run_key unique (run_id),
  constraint orchestration_sessions_run_fkey foreign key (run_id) references orchestration_runs (id) on delete cascade
);

-- Listing an owner's sessions, newest first.
create index orchestration_sessions_owner_idx on orchestration_sessions (owner, created_at desc);
