-- Durable reactions to the event log (issue 17). A reaction that must not be lost (closing
-- the approvals of a run that ended, ...) is a consumer that reads the global feed after its
-- position and advances the position in the same transaction as its effects: a crash
-- between a run's commit and the reaction leaves the position behind, and the next round
-- (on any instance) does the work. A missing row means "from the start of the log".
create table event_consumer_cursors (
  name text not null,
  position text,
  updated_at timestamptz not null default now(),
  constraint event_consumer_cursors_pkey primary key (name)
);
