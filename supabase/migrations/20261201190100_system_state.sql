-- Issue 16: the hub's operating mode (normal, degraded, safe, draining) must be shared by
-- every instance on the database, and survive restarts; so must the operator's last heartbeat
-- (the dead-man switch). One row holds both. System-level happenings (mode changes,
-- heartbeats, alerts, doctor repairs) belong to no run, so they get their own append-only log
-- instead of orchestration_events (whose rows are keyed by run).
create table baton_system_state (
  id boolean primary key default true,
  mode text not null default 'normal',
  reason text,
  set_by text,
  changed_at timestamptz not null default now(),
  last_heartbeat_at timestamptz,
  heartbeat_by text,
  constraint baton_system_state_single_row check (id),
  constraint baton_system_state_mode_check check (mode in ('normal', 'degraded', 'safe', 'draining'))
);

insert into baton_system_state (id) values (true) on conflict do nothing;

create table baton_system_events (
  id bigint generated always as identity primary key,
  type text not null,
  data jsonb not null default '{}',
  instance_id text,
  created_at timestamptz not null default now()
);

create index baton_system_events_created_idx on baton_system_events (created_at desc, id desc);
