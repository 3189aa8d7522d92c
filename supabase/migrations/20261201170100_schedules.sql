-- Schedules (issue 15): standing orders that start runs on a cron, an interval or once at a
-- time, and their history. One row per fire in `schedule_fires`, keyed (schedule, fire_key):
-- the unique key is what makes a fire happen once across instances and restarts, and the
-- run it starts carries the same key as its idempotency key.
create table schedules (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  target jsonb not null,
  input jsonb not null default '{}'::jsonb,
  spec jsonb not null,
  timezone text not null default 'UTC',
  start_at timestamptz,
  end_at timestamptz,
  jitter_seconds integer not null default 0,
  overlap text not null default 'skip',
  catchup_window_seconds integer not null default 60,
  pause_on_failure boolean not null default false,
  dst text not null default 'run_once',
  note text,
  paused boolean not null default false,
  pause_note text,
  -- The next nominal fire time, and when it is due (plus jitter); null when none is left.
  next_fire_at timestamptz,
  next_due_at timestamptz,
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint schedules_name_key unique (name),
  constraint schedules_overlap_check check (overlap in ('skip', 'buffer_one', 'buffer_all', 'cancel_other', 'allow_all')),
  constraint schedules_dst_check check (dst in ('skip', 'run_once', 'run_twice'))
);

-- The ticker's one query: due, unpaused schedules in due order.
create index schedules_due_idx on schedules (next_due_at) where not paused and next_due_at is not null;

create table schedule_fires (
  id uuid primary key default gen_random_uuid(),
  schedule_id uuid not null references schedules (id) on delete cascade,
  fire_key text not null,
  fire_time timestamptz not null,
  kind text not null,
  status text not null,
  reason text,
  cancel_active boolean not null default false,
  run_id uuid,
  run_status text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  constraint schedule_fires_key unique (schedule_id, fire_key),
  constraint schedule_fires_kind_check check (kind in ('scheduled', 'trigger', 'backfill')),
  constraint schedule_fires_status_check check (status in ('pending', 'buffered', 'started', 'skipped', 'missed', 'failed'))
);

create index schedule_fires_history_idx on schedule_fires (schedule_id, fire_time desc);
-- Work the ticker finds: fires to start, and started fires whose run may still be going.
create index schedule_fires_open_idx on schedule_fires (schedule_id, created_at)
  where status in ('pending', 'buffered') or (status = 'started' and (run_status is null or run_status not in ('completed', 'failed', 'cancelled')));
create index schedule_fires_created_idx on schedule_fires (created_at);
