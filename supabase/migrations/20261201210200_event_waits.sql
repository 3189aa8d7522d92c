-- Steps that wait for an event (issue 14), the messaging side. Inngest loses a waitForEvent
-- when the event arrives just before the wait starts, and Hatchet can miss one written while
-- the wait is being created. Here a wait is a row registered in the same transaction that
-- looks for already-stored matching events (since run start or step ready), and recording an
-- event matches open waits in its own transaction; both take one advisory lock per event
-- name, so whichever commits second sees the other: no lost wake-up on any instance.
create table event_waits (
  id uuid not null default gen_random_uuid(),
  run_id uuid not null,
  step_key text not null,
  event_name text not null,
  -- A JSON object the event's data must contain (`data @> match`); {} matches any.
  match jsonb not null default '{}'::jsonb,
  since timestamptz not null,
  status text not null default 'waiting',
  event_id uuid,
  expires_at timestamptz,
  matched_at timestamptz,
  created_at timestamptz not null default now(),
  constraint event_waits_pkey primary key (id),
  constraint event_waits_step_unique unique (run_id, step_key),
  constraint event_waits_status_check check (status in ('waiting', 'matched', 'timed_out'))
);

create index event_waits_open_idx on event_waits (event_name) where status = 'waiting';
create index event_waits_expiry_idx on event_waits (expires_at) where status = 'waiting' and expires_at is not null;
