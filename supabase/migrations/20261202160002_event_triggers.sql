-- Runs started by events (issue 14): a definition declares `triggers`; every stored event is
-- checked once against them by a worker that claims unchecked events (`for update skip
-- locked`). The run itself is created with the idempotency key `trigger:<event key>:<trigger>`,
-- so a crash between starting a run and marking the event checked, or two instances checking
-- one event, still start exactly one run per event and trigger. event_trigger_runs records
-- which runs an event started, for `GET /api/v1/events/external`.
alter table external_events add column triggers_checked_at timestamptz;
-- Events stored before this migration are not replayed into triggers that did not exist then.
update external_events set triggers_checked_at = created_at;
create index external_events_unchecked_idx on external_events (position) where triggers_checked_at is null;

create table event_trigger_runs (
  event_id uuid not null,
  trigger_key text not null,
  run_id uuid not null,
  created_at timestamptz not null default now(),
  constraint event_trigger_runs_pkey primary key (event_id, trigger_key),
  constraint event_trigger_runs_event_fkey foreign key (event_id) references external_events (id) on delete cascade
);
